// Runs an experiment script in a child process, as a user would from a shell,
// and reads back what the file observer stored. Shared by the tfjs
// reproducibility tests.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runScript(
  script: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--conditions=@ritual/source', '--import', 'tsx', script, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Generous: the machine is shared, and a slow child should fail on its own terms, not ours.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 110_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        stdout,
        stderr: timedOut ? `${stderr}\n[killed: no exit after ${options.timeoutMs ?? 110_000} ms]` : stderr,
      });
    });
  });
}

export interface StoredRunFiles {
  run: { status: string; result: unknown; heartbeat: string | null; artifacts: string[] };
  config: Record<string, unknown>;
  metrics: Record<string, { steps: number[]; values: number[]; timestamps: string[] }>;
  artifact(name: string): Promise<Buffer>;
}

export async function readRun(runsDir: string, id: number | string): Promise<StoredRunFiles> {
  const dir = join(runsDir, String(id));
  const json = async (name: string) => JSON.parse(await readFile(join(dir, name), 'utf8'));
  return {
    run: await json('run.json'),
    config: await json('config.json'),
    metrics: await json('metrics.json'),
    artifact: (name) => readFile(join(dir, ...name.split('/'))),
  };
}

/**
 * Steps and values of every metric the training logged (timestamps differ between runs by nature, and so do
 * the machine's system.* samples that a run longer than the sampling interval also stores).
 */
export function metricValues(
  metrics: StoredRunFiles['metrics'],
): Record<string, { steps: number[]; values: number[] }> {
  const out: Record<string, { steps: number[]; values: number[] }> = {};
  for (const [name, m] of Object.entries(metrics))
    if (!name.startsWith('system.')) out[name] = { steps: m.steps, values: m.values };
  return out;
}

export function assertExited(result: ChildResult, what: string): void {
  if (result.code !== 0) {
    throw new Error(`${what} exited with ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }
}
