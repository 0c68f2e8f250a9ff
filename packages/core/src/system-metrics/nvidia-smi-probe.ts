import { execFile } from 'node:child_process';
import path from 'node:path';
import { CommandShell, CommandShellGone } from '../command-shell.js';
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

/** One per process, shared by the runs' samplers (a shell per run would be a fork per run). */
const nvidiaSmiShell = new CommandShell();

/**
 * NVIDIA GPUs through one `nvidia-smi` query per sample (~20-40 ms of wall
 * time in a child process, little of this process's CPU). Not
 * systeminformation's `graphics()`: it runs lspci and display probes as well
 * as a fuller nvidia-smi query on every call (~30 ms of this process's CPU
 * after a 170 ms first call, measured without a GPU). Without nvidia-smi on
 * PATH the probe is dropped at its first call without starting a process; a
 * query that fails or times out drops it too. The queries run in a shell of
 * their own (command-shell.ts), forked once per process: a fork of a
 * training process at every sample would cost the training a copy-on-write
 * fault per page it writes afterwards. Fields a GPU does not report
 * (`[N/A]`, `[Not Supported]`) are left out.
 */
export function nvidiaSmiProbe(command = 'nvidia-smi', timeoutMs = 10_000): SystemProbe {
  let executable: string | null | undefined;
  const args = [QUERY, '--format=csv,noheader,nounits'];
  const sample = async (): Promise<SystemReading> => {
    // Looked up once: the first call (the prime) finds it or drops the probe.
    executable ??= command.includes(path.sep) ? command : findOnPath(command);
    if (executable === null) throw new Error(`${command} is not on PATH (no NVIDIA GPU metrics)`);
    let stdout: string;
    try {
      const output = await nvidiaSmiShell.run(executable, args, { timeoutMs });
      if (output.code !== 0) {
        throw new Error(`${command} exited with status ${output.code}: ${output.stderr.toString('utf8').trim()}`);
      }
      stdout = output.stdout.toString('utf8');
    } catch (error) {
      if (!(error instanceof CommandShellGone)) throw error;
      stdout = await execNvidiaSmi(executable, args, timeoutMs); // no shell here (Windows) or it died
    }
    return parseNvidiaSmi(stdout);
  };
  return { name: 'gpu (nvidia-smi)', prime: async () => void (await sample()), sample };
}

/** nvidia-smi as a child process of its own. */
function execNvidiaSmi(executable: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(executable, args, { timeout: timeoutMs, windowsHide: true }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
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
