/**
 * A cached Python virtual environment with Sacred 0.8.7, incense and pymongo,
 * for tests that compare ritual's stores with what Sacred itself writes and
 * with what Python readers accept.
 *
 * Lives in `<repo>/.cache/python-venv` (gitignored) and is built once: the
 * first caller creates it under a lock file, concurrent callers (two test
 * files running at once) wait for that lock and then reuse the result.
 *
 * Tests call `pythonEnvOrSkip()` and skip LOUDLY with the reason when the
 * environment cannot be built (no python3, PyPI unreachable).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const VENV_DIR = join(REPO_ROOT, '.cache', 'python-venv');
const LOCK_FILE = join(REPO_ROOT, '.cache', 'python-venv.lock');
/** Written last: its content names the requirements, so changing them rebuilds the venv. */
const READY_MARKER = join(VENV_DIR, '.ritual-ready');
export const PYTHON_REQUIREMENTS = ['sacred==0.8.7', 'setuptools<82', 'incense', 'pymongo'];
/** pip downloads and builds; a first build takes about 1.5 minutes here. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;
/** A lock older than this is left over from a killed build. */
const STALE_LOCK_MS = 15 * 60_000;

export interface PythonEnv {
  /** Absolute path of the venv's python interpreter. */
  python: string;
}

let pending: Promise<PythonEnv> | undefined;

/** Create (once) or reuse the cached venv; throws with the reason when it cannot be built. */
export function ensurePythonEnv(): Promise<PythonEnv> {
  pending ??= build();
  return pending;
}

/**
 * For tests: the env, or a reason to skip, printed to stderr so a skipped
 * conformance test is never silent.
 */
export async function pythonEnvOrSkip(): Promise<PythonEnv | { skip: string }> {
  try {
    return await ensurePythonEnv();
  } catch (error) {
    const reason = `Python venv with ${PYTHON_REQUIREMENTS.join(', ')} unavailable: ${(error as Error).message}`;
    process.stderr.write(`\n*** SKIPPING Sacred conformance test: ${reason}\n\n`);
    return { skip: reason };
  }
}

async function build(): Promise<PythonEnv> {
  const python = join(VENV_DIR, 'bin', 'python');
  const wanted = PYTHON_REQUIREMENTS.join('\n');
  if (await isReady(wanted)) return { python };
  await mkdir(dirname(LOCK_FILE), { recursive: true });
  const release = await acquireLock();
  try {
    // Someone else may have finished while we waited for the lock.
    if (await isReady(wanted)) return { python };
    await rm(VENV_DIR, { recursive: true, force: true });
    const systemPython = await findSystemPython();
    await run(systemPython, ['-m', 'venv', VENV_DIR], { timeout: 120_000 });
    await run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...PYTHON_REQUIREMENTS], {
      timeout: INSTALL_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
    await run(python, [
      '-c',
      'import sacred, incense, pymongo; assert sacred.__version__ == "0.8.7", sacred.__version__',
    ]);
    await writeFile(READY_MARKER, wanted);
    return { python };
  } finally {
    await release();
  }
}

async function isReady(wanted: string): Promise<boolean> {
  try {
    return (await readFile(READY_MARKER, 'utf8')) === wanted;
  } catch {
    return false;
  }
}

async function findSystemPython(): Promise<string> {
  for (const candidate of ['python3', 'python']) {
    try {
      const { stdout } = await run(candidate, ['-c', 'import sys, venv; print(sys.version_info[0])']);
      if (stdout.trim() === '3') return candidate;
    } catch {
      // try the next name
    }
  }
  throw new Error('no python3 with the venv module on PATH (install python3 and python3-venv)');
}

/** An exclusive lock file (O_EXCL create), polled; stale locks of killed builds are broken. */
async function acquireLock(): Promise<() => Promise<void>> {
  for (;;) {
    try {
      const handle = await open(LOCK_FILE, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(LOCK_FILE, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await lockIsStale()) {
      await rm(LOCK_FILE, { force: true });
      continue;
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  }
}

async function lockIsStale(): Promise<boolean> {
  try {
    const [info, owner] = await Promise.all([stat(LOCK_FILE), readFile(LOCK_FILE, 'utf8')]);
    if (Date.now() - info.mtimeMs > STALE_LOCK_MS) return true;
    const pid = Number(owner);
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - info.mtimeMs > 5_000;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return !existsSync(LOCK_FILE);
  }
}
