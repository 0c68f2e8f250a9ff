import { execFile } from 'node:child_process';
import os from 'node:os';
import { findOnPath } from '../executable-on-path.js';
import type { HostInfo } from '../run/run-record.js';

/**
 * Host facts, with Sacred's key names (`hostname`, `os`, `cpu`, `gpus`, `ENV`;
 * `node_version` in place of `python_version`), one small gatherer each.
 *
 * Why node:os and nvidia-smi rather than systeminformation: measured on this
 * machine, importing systeminformation costs ~70 ms, `si.cpu()` ~60 ms and
 * `si.osInfo()` ~110 ms, against a budget of 150 ms for the whole run start;
 * node:os answers the same facts (the cpu brand string is /proc/cpuinfo's
 * `model name`, as in Sacred) in microseconds. On Linux `si.graphics()` only
 * reports NVIDIA memory after `lspci`, `clinfo`, `xdpyinfo` and `xrandr` have
 * all run (seconds), and misses GPUs in containers without `lspci`; asking
 * `nvidia-smi` directly is what Sacred does, and it is skipped entirely when
 * not on PATH. Everything but ENV is cached: it cannot change within a process.
 */

type Gpus = NonNullable<HostInfo['gpus']>;
// HostInfo's index signature makes Omit<HostInfo, 'ENV'> lose the named keys.
type HostFacts = Pick<HostInfo, 'hostname' | 'os' | 'node_version' | 'cpu' | 'cpu_count' | 'memory_total' | 'gpus'>;

function osRelease(): string {
  // Sacred stores platform.platform(), e.g. `Linux-6.1.0-x86_64-with-glibc2.36`.
  return `${os.type()}-${os.release()}-${os.machine()}`;
}

function cpuBrand(): string {
  const cpus = os.cpus();
  return cpus[0]?.model.trim() || 'unknown';
}

/** Parse `nvidia-smi --query-gpu=name,memory.total,persistence_mode,driver_version --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(output: string): Gpus | undefined {
  const gpus: Gpus['gpus'] = [];
  let driver: string | null = null;
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const [name, memory, persistence, driverVersion] = line.split(',').map((field) => field.trim());
    if (name === undefined || name === '') continue;
    const total = Number(memory);
    gpus.push({
      model: name,
      total_memory: memory !== undefined && Number.isFinite(total) && memory !== '' ? total : null,
      persistence_mode: persistence === 'Enabled',
    });
    if (driverVersion !== undefined && driverVersion !== '' && !driverVersion.includes('N/A')) driver = driverVersion;
  }
  return gpus.length > 0 ? { gpus, driver_version: driver } : undefined;
}

function probeGpus(): Promise<Gpus | undefined> {
  const nvidiaSmi = findOnPath('nvidia-smi');
  if (nvidiaSmi === null) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(
      nvidiaSmi,
      ['--query-gpu=name,memory.total,persistence_mode,driver_version', '--format=csv,noheader,nounits'],
      { timeout: 5000, windowsHide: true },
      (error, stdout) => resolve(error ? undefined : parseNvidiaSmi(stdout)),
    );
  });
}

// Facts that cannot change within a process, captured once.
let cachedFacts: Promise<HostFacts> | undefined;

async function hostFacts(): Promise<HostFacts> {
  const gpus = await probeGpus();
  return {
    hostname: os.hostname(),
    os: [os.type(), osRelease()],
    node_version: process.versions.node,
    cpu: cpuBrand(),
    cpu_count: os.cpus().length,
    memory_total: os.totalmem(),
    ...(gpus === undefined ? {} : { gpus }),
  };
}

export async function captureHost(options: { envAllowList: readonly string[] }): Promise<HostInfo> {
  cachedFacts ??= hostFacts().catch((error: unknown) => {
    cachedFacts = undefined; // a transient failure may succeed on the next run
    throw error;
  });
  const facts = await cachedFacts;
  // ENV is read on every run: the user may change variables between runs.
  // An entry ending in `*` allows a prefix (`CUDA_*`); a lone `*` allows nothing,
  // so the whole environment (tokens, passwords) can never be recorded at once.
  const env: Record<string, string> = {};
  for (const entry of options.envAllowList) {
    const names =
      entry.endsWith('*') && entry.length > 1
        ? Object.keys(process.env).filter((name) => name.startsWith(entry.slice(0, -1)))
        : [entry];
    for (const name of names.sort()) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
  }
  return { ...facts, ENV: env };
}
