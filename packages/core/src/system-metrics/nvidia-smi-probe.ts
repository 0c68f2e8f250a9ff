import { execFile } from 'node:child_process';
import path from 'node:path';
import { findOnPath } from '../executable-on-path.js';
import type { SystemProbe, SystemReading } from './system-probe.js';

/** What each column of the query is stored as, in the order asked. */
const COLUMNS = [
  ['utilization.gpu', 'util_percent'],
  ['memory.used', 'memory_used_mb'],
  ['temperature.gpu', 'temperature_c'],
  ['power.draw', 'power_w'],
] as const;

const QUERY = `--query-gpu=index,${COLUMNS.map(([field]) => field).join(',')}`;

/**
 * NVIDIA GPUs through one `nvidia-smi` query per sample (~20-40 ms of wall
 * time in a child process, little of this process's CPU). Not
 * systeminformation's `graphics()`: it runs lspci and display probes as well
 * as a fuller nvidia-smi query on every call (~30 ms of this process's CPU
 * after a 170 ms first call, measured without a GPU). Without nvidia-smi on
 * PATH the probe is dropped at its first call without starting a process
 * (see executable-on-path.ts: a fork of a process holding TensorFlow costs the
 * training after it); a query that fails drops it too. Fields a GPU does not
 * report (`[N/A]`, `[Not Supported]`) are left out.
 */
export function nvidiaSmiProbe(command = 'nvidia-smi', timeoutMs = 10_000): SystemProbe {
  let executable: string | null | undefined;
  const sample = () =>
    new Promise<SystemReading>((resolve, reject) => {
      // Looked up once: the first call (the prime) finds it or drops the probe.
      executable ??= command.includes(path.sep) ? command : findOnPath(command);
      if (executable === null) return reject(new Error(`${command} is not on PATH (no NVIDIA GPU metrics)`));
      const args = [QUERY, '--format=csv,noheader,nounits'];
      execFile(executable, args, { timeout: timeoutMs, windowsHide: true }, (error, stdout) => {
        if (error) return reject(error);
        try {
          resolve(parseNvidiaSmi(stdout));
        } catch (parseError) {
          reject(parseError);
        }
      });
    });
  return { name: 'gpu (nvidia-smi)', prime: async () => void (await sample()), sample };
}

/** `0, 35, 1024, 51, 70.20` per line -> `system.gpu.0.util_percent` = 35, ... */
export function parseNvidiaSmi(stdout: string): SystemReading {
  const values: Record<string, number> = {};
  const lines = stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (lines.length === 0) throw new Error('nvidia-smi listed no GPU');
  for (const line of lines) {
    const [index, ...fields] = line.split(',').map((field) => field.trim());
    if (index === undefined || !/^\d+$/.test(index)) {
      throw new Error(`unexpected nvidia-smi line ${JSON.stringify(line)}`);
    }
    COLUMNS.forEach(([, metric], i) => {
      const value = Number(fields[i]);
      const reported = fields[i] !== undefined && fields[i] !== '' && Number.isFinite(value);
      if (reported) values[`system.gpu.${index}.${metric}`] = value;
    });
  }
  return values;
}
