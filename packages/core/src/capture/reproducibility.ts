import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { installedVersion } from './module-resolution.js';
import { describeNativeTensorflow, type NativeTensorflowInfo } from './native-tensorflow.js';

/**
 * What the numbers of a run depend on besides its seed and sources: the Node
 * version and, when TensorFlow.js is loaded, its version, the active backend
 * (cpu and wasm give different, each repeatable, numbers) and the wasm
 * backend's SIMD / threads flags. Called at run start and again at run end,
 * because users pick the backend inside main.
 *
 * tfjs is never imported from here: importing it would load a second copy
 * when the user loaded the other module format, and forcing the load would
 * cost hundreds of milliseconds for users who do not use tfjs. tfjs-core keeps
 * its engine on the global object (`globalThis._tfengine`), whichever build
 * was loaded, so that is where the backend and flags are read.
 */
export interface ReproducibilityInfo {
  node_version: string;
  /** null when tfjs-core is not loaded in this process. */
  tfjs: {
    /** Version of the installed @tensorflow/tfjs-core, null if it cannot be located. */
    version: string | null;
    /** The active backend (`cpu`, `wasm`, `tensorflow`, `webgl`...), null before one is chosen. */
    backend: string | null;
    /** `name==version` of the package implementing the backend (its kernels), null if unknown. */
    backend_package: string | null;
    /** Only with the wasm backend: the flags that select its kernels (they change the numbers). */
    wasm_simd?: boolean | null;
    wasm_threads?: boolean | null;
    /** Only with the tensorflow backend (tfjs-node): native settings that change the numbers. */
    native?: NativeTensorflowInfo;
  } | null;
}

interface TfEnvironment {
  flags?: Record<string, unknown>;
  flagRegistry?: Record<string, unknown>;
  getAsync?(name: string): Promise<unknown>;
}
interface TfEngine {
  backendName?: string | null;
  registry?: Record<string, unknown>;
  ENV?: TfEnvironment;
}

const TFJS_CORE = '@tensorflow/tfjs-core';
/** The package that implements each backend; its version decides the kernels. */
const BACKEND_PACKAGES: Record<string, string[]> = {
  cpu: ['@tensorflow/tfjs-backend-cpu'],
  wasm: ['@tensorflow/tfjs-backend-wasm'],
  webgl: ['@tensorflow/tfjs-backend-webgl'],
  webgpu: ['@tensorflow/tfjs-backend-webgpu'],
  tensorflow: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
};

/** Version of the copy of `name` that is loaded: from the CommonJS cache, else by resolution from the main file. */
function loadedVersion(name: string, fromFile: string): string | null {
  const require = createRequire(import.meta.url);
  const marker = `${path.sep}node_modules${path.sep}${name.split('/').join(path.sep)}${path.sep}`;
  for (const loaded of Object.keys(require.cache)) {
    const at = loaded.lastIndexOf(marker);
    if (at < 0) continue;
    try {
      const manifest = path.join(loaded.slice(0, at + marker.length), 'package.json');
      const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version;
      if (typeof version === 'string') return version;
    } catch {
      // fall back to resolution below
    }
  }
  return installedVersion(name, fromFile) ?? null;
}

function backendVersion(backend: string, fromFile: string): string | null {
  for (const name of BACKEND_PACKAGES[backend] ?? []) {
    const version = loadedVersion(name, fromFile);
    if (version !== null) return `${name}==${version}`;
  }
  return null;
}

async function readFlag(env: TfEnvironment | undefined, name: string): Promise<boolean | null> {
  if (env === undefined) return null;
  const value = env.flags?.[name];
  if (typeof value === 'boolean') return value;
  // Registered but not evaluated yet: evaluating it only probes WebAssembly features.
  if (env.flagRegistry !== undefined && name in env.flagRegistry && typeof env.getAsync === 'function') {
    try {
      const evaluated = await env.getAsync(name);
      return typeof evaluated === 'boolean' ? evaluated : null;
    } catch {
      return null;
    }
  }
  return null;
}

export async function describeReproducibility(options: { mainFile?: string } = {}): Promise<ReproducibilityInfo> {
  const engine = (globalThis as { _tfengine?: TfEngine })._tfengine;
  if (engine === undefined || engine === null) return { node_version: process.versions.node, tfjs: null };
  const fromFile = path.resolve(options.mainFile ?? process.argv[1] ?? path.join(process.cwd(), 'index.js'));
  const backend = typeof engine.backendName === 'string' ? engine.backendName : null;
  const tfjs: NonNullable<ReproducibilityInfo['tfjs']> = {
    version: loadedVersion(TFJS_CORE, fromFile),
    backend,
    backend_package: backend === null ? null : backendVersion(backend, fromFile),
  };
  if (backend === 'wasm') {
    tfjs.wasm_simd = await readFlag(engine.ENV, 'WASM_HAS_SIMD_SUPPORT');
    tfjs.wasm_threads = await readFlag(engine.ENV, 'WASM_HAS_MULTITHREAD_SUPPORT');
  }
  if (backend === 'tensorflow') tfjs.native = describeNativeTensorflow(engine);
  return { node_version: process.versions.node, tfjs };
}
