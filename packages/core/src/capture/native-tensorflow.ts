import { readFileSync } from 'node:fs';

/**
 * The native settings a tfjs-node (backend `tensorflow`) result depends on,
 * besides seed, sources and versions. Measured with tfjs-node 4.22.0 /
 * libtensorflow 2.9.1 on an AVX-512 CPU: `TF_ENABLE_ONEDNN_OPTS=0` changes the
 * trained weights, and then the intra-op thread count changes them too;
 * `ONEDNN_MAX_CPU_ISA=AVX2` changes them, and then 1, 2 and 4 threads give
 * three different results. oneDNN picks its kernels from the CPU's vector
 * extensions, so the same settings on a CPU without AVX-512 can differ too.
 * Environment values are recorded as set, null meaning unset (TensorFlow's default).
 */
export interface NativeTensorflowInfo {
  /** TF_Version() of the loaded libtensorflow, null when it cannot be read. */
  libtensorflow: string | null;
  /** The variables below, as set in the environment; null = unset (default: oneDNN on, all cores). */
  env: Record<(typeof NATIVE_ENV)[number], string | null>;
  /** Vector extensions from /proc/cpuinfo (sse4*, fma, avx*, avx512*, amx*), sorted; null off Linux. */
  cpu_vector_extensions: string[] | null;
}

export const NATIVE_ENV = [
  'TF_ENABLE_ONEDNN_OPTS',
  'ONEDNN_MAX_CPU_ISA',
  'TF_NUM_INTRAOP_THREADS',
  'TF_NUM_INTEROP_THREADS',
  'OMP_NUM_THREADS',
] as const;

const VECTOR_EXTENSION = /^(sse4_\d|fma|avx\w*|amx\w*)$/;

export function cpuVectorExtensions(cpuinfo = '/proc/cpuinfo'): string[] | null {
  let text: string;
  try {
    text = readFileSync(cpuinfo, 'utf8');
  } catch {
    return null;
  }
  const flags = /^flags\s*:(.*)$/m.exec(text)?.[1] ?? '';
  return [
    ...new Set(
      flags
        .trim()
        .split(/\s+/)
        .filter((flag) => VECTOR_EXTENSION.test(flag)),
    ),
  ].sort();
}

/** The host side: environment and CPU, readable before tfjs-node is loaded. */
export function hostNativeSettings(env: NodeJS.ProcessEnv = process.env): Omit<NativeTensorflowInfo, 'libtensorflow'> {
  const values = Object.fromEntries(NATIVE_ENV.map((name) => [name, env[name] ?? null])) as NativeTensorflowInfo['env'];
  return { env: values, cpu_vector_extensions: cpuVectorExtensions() };
}

/** `engine.registry.tensorflow` is tfjs-node's backend; its binding exposes libtensorflow's TF_Version. */
export function describeNativeTensorflow(engine: { registry?: Record<string, unknown> }): NativeTensorflowInfo {
  const backend = engine.registry?.['tensorflow'] as { binding?: { TF_Version?: unknown } } | undefined;
  const version = backend?.binding?.TF_Version;
  return { libtensorflow: typeof version === 'string' ? version : null, ...hostNativeSettings() };
}

/** One line per setting that differs between a recorded run and this host, for a replay's warning. */
export function nativeDifferences(
  recorded: Partial<Omit<NativeTensorflowInfo, 'libtensorflow'>>,
  current: Omit<NativeTensorflowInfo, 'libtensorflow'>,
): string[] {
  const differences: string[] = [];
  const shown = (value: string | null | undefined) => (value === null || value === undefined ? 'unset' : value);
  for (const name of NATIVE_ENV) {
    const then = recorded.env?.[name] ?? null;
    const now = current.env[name];
    if (then !== now) differences.push(`${name} was ${shown(then)}, is ${shown(now)}`);
  }
  const then = recorded.cpu_vector_extensions;
  const now = current.cpu_vector_extensions;
  if (Array.isArray(then) && now !== null) {
    const missing = then.filter((flag) => !now.includes(flag));
    const added = now.filter((flag) => !then.includes(flag));
    if (missing.length > 0 || added.length > 0) {
      const parts = [
        ...(missing.length > 0 ? [`missing here: ${missing.join(' ')}`] : []),
        ...(added.length > 0 ? [`new here: ${added.join(' ')}`] : []),
      ];
      differences.push(`CPU vector extensions differ (${parts.join('; ')})`);
    }
  }
  return differences;
}
