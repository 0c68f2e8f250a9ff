/**
 * The Python environment of the other trackers the suite compares with:
 * MLflow and Weights & Biases, pinned, in a venv of their own
 * (`.cache/bench/trackers-venv`; RITUAL_BENCH_TRACKERS_VENV moves it), apart
 * from the Sacred venv of the tests so that their dependencies never change
 * what Sacred runs with.
 *
 * Each tracker is installed by its own `pip install` and marked ready on its
 * own, so one that cannot be installed (PyPI unreachable, no wheel for this
 * platform) is skipped with the reason while the others are measured. pip
 * honours PIP_INDEX_URL and friends, which is how the tests simulate a broken
 * index. Installing both takes about 2 minutes here (1m47s measured), so a
 * smoke run (CI) leaves them out unless RITUAL_BENCH_TRACKERS_INSTALL=1.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A Python tracker the suite measures beside ritual and Sacred. */
export interface PythonTracker {
  /** Its package, pinned: the versions the issue measured its anchors with. */
  requirement: string;
  /** Imported once installed, to prove the install works. */
  module: string;
}

export const PYTHON_TRACKERS = {
  mlflow: { requirement: 'mlflow==3.17.2', module: 'mlflow' },
  wandb: { requirement: 'wandb==0.31.0', module: 'wandb' },
} as const satisfies Record<string, PythonTracker>;
export type PythonTrackerName = keyof typeof PYTHON_TRACKERS;

/** For each tracker: the venv's python, or why it cannot be measured here. */
export type TrackerAvailability = Record<PythonTrackerName, { python: string } | { skip: string }>;

const INSTALL_TIMEOUT_MS = 10 * 60_000;

function venvDir(): string {
  return process.env.RITUAL_BENCH_TRACKERS_VENV ?? join(REPO_ROOT, '.cache', 'bench', 'trackers-venv');
}

/**
 * Which trackers can run. `install`: build the venv and install what is
 * missing; otherwise only what is already installed counts.
 */
export async function pythonTrackers(options: { install: boolean }): Promise<TrackerAvailability> {
  const dir = venvDir();
  const python = join(dir, 'bin', 'python');
  const result = {} as TrackerAvailability;
  let venvError: string | undefined;
  if (options.install && !existsSync(python)) {
    venvError = await createVenv(dir).then(
      () => undefined,
      (error: Error) => error.message,
    );
  }
  // One tracker at a time: two pip runs in one venv would race on shared dependencies.
  for (const [name, tracker] of Object.entries(PYTHON_TRACKERS) as Array<[PythonTrackerName, PythonTracker]>) {
    const marker = join(dir, `.ritual-ready-${name}`);
    if ((await readFile(marker, 'utf8').catch(() => '')) === tracker.requirement) {
      result[name] = { python };
    } else if (venvError !== undefined) {
      result[name] = { skip: `could not create the venv ${dir}: ${venvError}` };
    } else if (!options.install) {
      result[name] = {
        skip:
          `${tracker.requirement} is not installed in ${dir}; a full \`npm run bench\` installs it ` +
          '(or set RITUAL_BENCH_TRACKERS_INSTALL=1)',
      };
    } else {
      result[name] = await install(python, tracker).then(
        async () => {
          await writeFile(marker, tracker.requirement);
          return { python };
        },
        (error: Error) => ({
          skip: `${tracker.requirement} could not be installed (is PyPI, or PIP_INDEX_URL, reachable?): ${lastLine(error.message)}`,
        }),
      );
    }
  }
  return result;
}

async function createVenv(dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  await rm(dir, { recursive: true, force: true });
  await run('python3', ['-m', 'venv', dir], { timeout: 120_000 });
}

async function install(python: string, tracker: PythonTracker): Promise<void> {
  process.stderr.write(
    `bench: installing ${tracker.requirement} into ${dirname(dirname(python))} (about a minute)...\n`,
  );
  await run(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--retries', '1', tracker.requirement],
    { timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
  );
  await run(python, ['-c', `import ${tracker.module}`], { timeout: 120_000 });
}

/** pip's reason is its last non-empty line ("ERROR: No matching distribution found for ..."). */
function lastLine(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return (lines.at(-1) ?? text).trim();
}

/** `{ mlflow: '3.17.2', wandb: '0.31.0' }` for the trackers installed. */
export async function trackerVersions(available: TrackerAvailability): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const [name, state] of Object.entries(available)) {
    if (!('python' in state)) continue;
    const { stdout } = await run(state.python, ['-c', `import ${name}; print(${name}.__version__)`]);
    versions[name] = stdout.trim();
  }
  return versions;
}
