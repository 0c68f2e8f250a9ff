/**
 * The `peers` benchmark (issue 20): ritual beside every tracker a user would
 * pick instead — Sacred 0.8.7, MLflow (file store and sqlite) and Weights &
 * Biases offline — doing the same work on the same machine in one run:
 *
 *   start-up added   import, start a run, 5 params, 1 metric, end; minus the bare interpreter
 *   per-call         one metric logged call by call (calls/s, the loop alone timed)
 *   batched          points/s through the tracker's batch call (MLflow log_batch of 1,000;
 *                    W&B dicts of 10 keys); ritual and Sacred have none
 *   peak RSS         at `bigPoints` points, summed over the process tree (wandb-core, tee...)
 *   finish           from the end-of-run call to the process exit, after `finishPoints` points
 *   disk             the whole store folder after `finishPoints` points, per 100k points
 *
 * Subjects run in rotating order, each figure a median. A tracker whose
 * Python package cannot be installed is skipped, saying why (tracker-env.ts).
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResult, runChild } from './peers/child-process.js';
import { watchTreeRss } from './peers/process-tree.js';
import { bundleRitualSubject } from './peers/ritual-bundle.js';
import { sacredPython } from './peers/sacred.js';
import {
  pythonTrackers,
  trackerVersions,
  type PythonTrackerName,
  type TrackerAvailability,
} from './peers/tracker-env.js';
import { PEER_COLUMNS, type BenchResult, type Figure, type PeerColumn } from './report.js';
import { median } from './statistics.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TRACKER_SCRIPT = join(HERE, 'peers', 'trackers', 'tracker.py');

export interface PeerTrackersOptions {
  /** Rounds of every phase (each subject once a round, rotating). */
  repeats: number;
  /** Seconds of each per-call loop. */
  callSeconds: number;
  /** Points of the run whose peak memory and batched rate are measured (the issue: 1M). */
  bigPoints: number;
  /** Rounds of that run (MLflow's sqlite store takes minutes for 1M points, so fewer than `repeats`). */
  bigRepeats: number;
  /** Points of the run whose finish and disk are measured (the issue: 100k). */
  finishPoints: number;
  /**
   * The Python trackers: `install` what is missing, then measure them (a full
   * run); `off` measures ritual and Sacred alone and says so (the default of a
   * smoke run: installing takes ~2 minutes and running them ~2.5 more here).
   */
  trackers: 'install' | 'off';
}

/** Why a smoke run did not measure the Python trackers, and how to make it. */
export const TRACKERS_OFF =
  'not measured in a smoke run; set RITUAL_BENCH_TRACKERS_INSTALL=1 to install them (once, ~2 minutes) ' +
  'and measure them at smoke sizes';

type SubjectName = 'ritual' | 'sacred' | 'mlflow-file' | 'mlflow-sqlite' | 'wandb';
type Mode = 'startup' | 'calls' | 'batch';

interface Subject {
  name: SubjectName;
  /** Its column in the table: ritual and Sacred have their own, the others are peers. */
  column: 'ritual' | 'Sacred' | PeerColumn;
  /** The bare interpreter its start-up is compared with. */
  bare: { command: string; args: string[] };
  spawn(mode: Mode, n: number, dir: string): { command: string; args: string[]; env: NodeJS.ProcessEnv };
}

interface Measured {
  ms: number;
  peakMb: number | null;
  result: { callsPerSecond?: number; pointsPerSecond?: number; finishFrom?: number };
}

const COLUMN: Record<Exclude<SubjectName, 'ritual' | 'sacred'>, PeerColumn> = {
  'mlflow-file': 'MLflow file',
  'mlflow-sqlite': 'MLflow sqlite',
  wandb: 'W&B offline',
};
const PACKAGE_OF: Record<keyof typeof COLUMN, PythonTrackerName> = {
  'mlflow-file': 'mlflow',
  'mlflow-sqlite': 'mlflow',
  wandb: 'wandb',
};

export async function runPeerTrackersBench(options: PeerTrackersOptions): Promise<BenchResult> {
  const available: TrackerAvailability =
    options.trackers === 'off'
      ? { mlflow: { skip: TRACKERS_OFF }, wandb: { skip: TRACKERS_OFF } }
      : await pythonTrackers({ install: true });
  const skipped: Record<string, string> = {};
  for (const [name, state] of Object.entries(available)) {
    if ('skip' in state) {
      skipped[name] = state.skip;
      process.stderr.write(`bench: peers: SKIPPING ${name}: ${state.skip}\n`);
    }
  }
  const subjects = await makeSubjects(available);
  const scratch = await mkdtemp(join(tmpdir(), 'ritual-bench-peers-'));
  const samples = new Map<string, number[]>();
  const add = (key: string, value: number | null | undefined) => {
    if (value === null || value === undefined || !Number.isFinite(value)) return;
    samples.set(key, [...(samples.get(key) ?? []), value]);
  };
  const measure = async (subject: Subject, mode: Mode, n: number): Promise<Measured> => {
    const dir = await mkdtemp(join(scratch, `${subject.name}-`));
    const { command, args, env } = subject.spawn(mode, n, dir);
    let watch: ReturnType<typeof watchTreeRss> | undefined;
    let child: Awaited<ReturnType<typeof runChild>>;
    let peakMb: number | null = null;
    try {
      child = await runChild(command, args, {
        cwd: dir,
        env,
        onSpawn: (pid) => {
          if (mode === 'batch') watch = watchTreeRss(pid);
        },
      });
    } finally {
      // Stopped on failure too: the sampler must not outlive its subject.
      peakMb = (await watch?.stop()) ?? null;
    }
    return {
      ms: child.ms,
      peakMb,
      result: parseResult<Measured['result']>(child, `${subject.name} ${mode} subject`),
    };
  };
  try {
    const rotate = <T>(list: T[], round: number): T[] => list.map((_, k) => list[(k + round) % list.length]!);
    // Start-up: every subject and both bare interpreters, rotating.
    const bares = new Map<string, Subject['bare']>(subjects.map((s) => [JSON.stringify(s.bare), s.bare]));
    for (let round = 0; round < options.repeats; round++) {
      const jobs: Array<() => Promise<void>> = [
        ...[...bares.entries()].map(([key, bare]) => async () => {
          add(`bare ${key}`, (await runChild(bare.command, bare.args)).ms);
        }),
        ...subjects.map((subject) => async () => {
          add(`startup ${subject.name}`, (await measure(subject, 'startup', 0)).ms);
        }),
      ];
      for (const job of rotate(jobs, round)) await job();
    }
    for (let round = 0; round < options.repeats; round++) {
      for (const subject of rotate(subjects, round)) {
        add(`calls ${subject.name}`, (await measure(subject, 'calls', options.callSeconds)).result.callsPerSecond);
      }
    }
    for (let round = 0; round < options.bigRepeats; round++) {
      for (const subject of rotate(subjects, round)) {
        const big = await measure(subject, 'batch', options.bigPoints);
        add(`batch ${subject.name}`, big.result.pointsPerSecond);
        add(`rss ${subject.name}`, big.peakMb);
      }
    }
    for (let round = 0; round < options.repeats; round++) {
      for (const subject of rotate(subjects, round)) {
        const dir = await mkdtemp(join(scratch, `${subject.name}-disk-`));
        const spawned = subject.spawn('batch', options.finishPoints, dir);
        const child = await runChild(spawned.command, spawned.args, { cwd: dir, env: spawned.env });
        const exitAt = Date.now();
        const { finishFrom } = parseResult<Measured['result']>(child, `${subject.name} finish subject`);
        add(`finish ${subject.name}`, finishFrom === undefined ? null : exitAt - finishFrom);
        const bytes = await folderBytes(dir);
        add(`disk ${subject.name}`, (bytes * 100_000) / options.finishPoints / 2 ** 20);
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  const med = (key: string) => {
    const values = samples.get(key);
    return values === undefined ? null : median(values);
  };
  const startupAdded = (subject: Subject) => {
    const own = med(`startup ${subject.name}`);
    const bare = med(`bare ${JSON.stringify(subject.bare)}`);
    return own === null || bare === null ? null : own - bare;
  };
  const figure = (
    name: string,
    unit: string,
    better: 'lower' | 'higher',
    value: (subject: Subject) => number | null,
    extra: Partial<Figure> = {},
  ): Figure => {
    const by = (column: string) => {
      const subject = subjects.find((s) => s.column === column);
      return subject ? value(subject) : null;
    };
    return {
      benchmark: 'peers',
      name,
      unit,
      ours: by('ritual'),
      peer: by('Sacred'),
      peers: Object.fromEntries(PEER_COLUMNS.map((column) => [column, by(column)])),
      better,
      target: '',
      pass: null,
      ...extra,
    };
  };
  const sacredDisk = med('disk sacred');
  const ritualDisk = med('disk ritual');
  const figures: Figure[] = [
    figure('start-up added (import, run, 5 params, 1 metric, end)', 'ms', 'lower', startupAdded, {
      note: `median of ${options.repeats} rounds, rotating order; each minus its bare interpreter (node, or the python of its venv).`,
    }),
    figure('per-call logging', 'calls/s', 'higher', (s) => med(`calls ${s.name}`), {
      note: `one metric, call by call, ${options.callSeconds} s loops; MLflow's default synchronous log_metric, W&B run.log({key: value}).`,
    }),
    figure('batched logging', 'points/s', 'higher', (s) => med(`batch ${s.name}`), {
      note:
        `${points(options.bigPoints)} points, median of ${options.bigRepeats} run(s); MLflow log_batch of 1,000 ` +
        'metrics, W&B run.log of 10-key dicts. ritual and Sacred have no batch call.',
    }),
    figure(`finish after ${points(options.finishPoints)} points`, 'ms', 'lower', (s) => med(`finish ${s.name}`), {
      note: 'from just before the end-of-run call to the process exit (interpreter shutdown included, as a user waits for it).',
    }),
    figure(
      `peak RSS at ${points(options.bigPoints)} points, process tree`,
      'MiB',
      'lower',
      (s) => med(`rss ${s.name}`),
      {
        note:
          `the batched run, median of ${options.bigRepeats} run(s); sampled every 50 ms from /proc, the subject ` +
          'and every process under it (wandb-core, wandb-symon, tee) summed.',
      },
    ),
    figure('disk per 100k points', 'MiB', 'lower', (s) => med(`disk ${s.name}`), {
      target: '<= Sacred',
      pass: ritualDisk === null || sacredDisk === null ? null : ritualDisk <= sacredDisk,
      note:
        `every byte of the store folder after ${points(options.finishPoints)} points (sources, run files ` +
        'included), scaled to 100k points.',
    }),
  ];
  return {
    figures,
    details: {
      options,
      skipped,
      versions: await trackerVersions(available),
      samples: Object.fromEntries(samples),
    },
  };
}

async function makeSubjects(available: TrackerAvailability): Promise<Subject[]> {
  const ritualBundle = await bundleRitualSubject(join(HERE, 'peers', 'ritual', 'tracker.ts'));
  const sacred = await sacredPython();
  const bareNode = { command: process.execPath, args: [join(HERE, 'peers', 'ritual', 'bare.mjs')] };
  const pythonEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
  const subjects: Subject[] = [
    {
      name: 'ritual',
      column: 'ritual',
      bare: bareNode,
      spawn: (mode, n, dir) => ({
        command: process.execPath,
        args: [ritualBundle],
        env: { ...process.env, RITUAL_BENCH_RUNS: dir, RITUAL_BENCH_MODE: mode, RITUAL_BENCH_N: String(n) },
      }),
    },
    {
      name: 'sacred',
      column: 'Sacred',
      bare: { command: sacred, args: [join(HERE, 'peers', 'sacred', 'bare.py')] },
      spawn: (mode, n, dir) => ({
        command: sacred,
        args: [TRACKER_SCRIPT, 'sacred', mode, dir, String(n)],
        env: pythonEnv,
      }),
    },
  ];
  for (const name of Object.keys(COLUMN) as Array<keyof typeof COLUMN>) {
    const state = available[PACKAGE_OF[name]];
    if (!('python' in state)) continue;
    subjects.push({
      name,
      column: COLUMN[name],
      bare: { command: state.python, args: [join(HERE, 'peers', 'sacred', 'bare.py')] },
      spawn: (mode, n, dir) => ({
        command: state.python,
        args: [TRACKER_SCRIPT, name, mode, dir, String(n)],
        env: pythonEnv,
      }),
    });
  }
  return subjects;
}

/** Bytes of every file under `dir` (apparent sizes: what the data takes, not the file system's blocks). */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

function points(n: number): string {
  return n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n);
}
