/**
 * The Sacred side of each pairing: Sacred 0.8.7 in the project's cached venv
 * (test/support/python-env.ts builds it), running the scripts in
 * bench/peers/sacred/.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensurePythonEnv } from '../../test/support/python-env.js';
import { parseResult, runChild, type ChildRun } from './child-process.js';

const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), 'sacred');

/** Path of a peer script, e.g. `startup.py`. */
export function sacredScript(name: string): string {
  return join(SCRIPTS, name);
}

/** The venv's python; builds the venv the first time (about 1.5 minutes). */
export async function sacredPython(): Promise<string> {
  return (await ensurePythonEnv()).python;
}

/** Run a peer script with the venv's python; the scripts import their helper from their own folder. */
export async function runSacred(script: string, args: readonly string[], timeoutMs?: number): Promise<ChildRun> {
  const python = await sacredPython();
  return runChild(python, [sacredScript(script), ...args], {
    cwd: SCRIPTS,
    // No __pycache__ folders in the repository from the peers' helper module.
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
}

/** Run a peer script and parse the figure it printed. */
export async function sacredResult<T>(script: string, args: readonly string[], timeoutMs?: number): Promise<T> {
  return parseResult<T>(await runSacred(script, args, timeoutMs), `Sacred peer ${script}`);
}

/** `3.11.7` and `0.8.7`, for the machine facts. */
export async function sacredVersions(): Promise<{ python: string; sacred: string }> {
  const python = await sacredPython();
  const { stdout } = await promisify(execFile)(python, [
    '-c',
    'import sys, sacred; print(sys.version.split()[0]); print(sacred.__version__)',
  ]);
  const [pythonVersion = 'unknown', sacredVersion = 'unknown'] = stdout.trim().split('\n');
  return { python: pythonVersion, sacred: sacredVersion };
}
