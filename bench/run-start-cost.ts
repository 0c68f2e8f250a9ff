/**
 * Where the fixed cost of one `ex.run()` goes (issue 14: on tfjs-node the
 * start and end of a run were ~52 + 17 ms of a 2 s training, 3.5 % alone).
 *
 * A tiny experiment (x = i at steps 0..99, a file observer, the defaults of
 * `ex.run()`: output capture `sys`, a system sampler) is run N times in this
 * process, as the training benchmark runs its trainings; the median of
 * - the whole start (`ex.run()` called -> main entered) and end (main
 *   returned -> `ex.run()` resolved), and
 * - each phase of them, timed on its own with the same functions the run
 *   calls, in the order the run calls them: the two git processes (each
 *   alone, then as a run asks for them), host facts,
 *   the sources scan with md5s, dependencies, config resolution, the
 *   reproducibility probe, the file observer's started event (shared source
 *   copies, the run folder, config/metrics/info/cout, run.json), output
 *   capture, the system sampler, and the end's durable metrics.json and
 *   run.json.
 * The phases are timed one after another, so where the run overlaps them (the
 * capture providers run concurrently) their sum exceeds the start; `capture,
 * all providers` is that overlap as the run does it.
 *
 * The experiment's main file is bench/training-overhead.ts, so the sources
 * and dependencies scanned are the training benchmark's. With a backend
 * (`wasm`, `tfjs-node`), it is loaded and the example's training run once
 * first, so the process is the training benchmark's too (a process holding
 * a loaded tfjs-node pays more for every child process it starts).
 *
 *   npm run bench -- --only run-start
 *   node --conditions=@ritual/source --import tsx bench/run-start-cost.ts [runs] [backend]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Experiment } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import {
  captureRunContext,
  collectDependencies,
  collectSources,
  describeReproducibility,
} from '../packages/core/src/capture/index.js';
import { captureHost } from '../packages/core/src/capture/host.js';
import { findRepositoryRoot, GitSnapshots } from '../packages/core/src/capture/git.js';
import { runGit } from '../packages/core/src/capture/git-command.js';
import { startOutputCapture } from '../packages/core/src/capture/output.js';
import { SystemSampler } from '../packages/core/src/system-metrics/system-sampler.js';
import { writeFileAtomic } from '../packages/core/src/atomic-file.js';
import { claimNewRunFolder } from '../packages/observers/src/file/run-folder.js';
import { findOrSave, SOURCES_DIR } from '../packages/observers/src/file/shared-copies.js';
import { formatSacredJson, writeSacredJson } from '../packages/observers/src/file/sacred-json.js';
import { loadTfjs } from '../examples/mnist/backend.js';
import { trainMnist } from '../examples/mnist/training.js';
import type { BenchResult, Figure } from './report.js';
import { DEFAULT_TRAINING } from './training-overhead.js';
import { median } from './statistics.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN_FILE = path.join(ROOT, 'bench', 'training-overhead.ts');
const POINTS = 100;
/** The status command capture runs (git.ts). */
const GIT_STATUS = ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', '--ignored=matching'];

export interface RunStartCostOptions {
  /** Runs of the tiny experiment, and repeats of each phase. */
  runs: number;
  /** Load this tfjs backend ('wasm', 'tfjs-node') and train the example once before measuring; default none. */
  backend?: string;
}

/** Median ms of each phase, in the order of the report. */
export type PhaseMedians = Record<string, number>;

function tinyExperiment(dir: string, marks: { entered: number; returned: number }) {
  const ex = new Experiment('run-start-cost').config({ points: POINTS }).main(({ config, run }) => {
    marks.entered = performance.now();
    for (let i = 0; i < config.points; i++) run.logScalar('x', i, i);
    marks.returned = performance.now();
  });
  ex.mainFile = MAIN_FILE;
  ex.observe(new FileStorageObserver(dir));
  return ex;
}

async function timed(samples: Map<string, number[]>, name: string, work: () => Promise<unknown> | unknown) {
  const started = performance.now();
  const value = await work();
  const list = samples.get(name) ?? [];
  list.push(performance.now() - started);
  samples.set(name, list);
  return value;
}

/** Each phase on its own, as the run calls it. */
async function timePhases(dir: string, samples: Map<string, number[]>): Promise<void> {
  const ex = tinyExperiment(dir, { entered: 0, returned: 0 });
  const baseDir = path.dirname(MAIN_FILE);
  const root = findRepositoryRoot(baseDir);
  await timed(samples, 'config resolution', () => ex.resolveChecked({}, [], false));
  if (root !== null) {
    // Each on its own process, as the run starts them (concurrently) when nothing is cached.
    await timed(samples, 'git status (1 process)', () => runGit(root, [...GIT_STATUS]));
    await timed(samples, 'git remote -v (1 process, when not reused)', () => runGit(root, ['remote', '-v']));
  }
  const snapshots = new GitSnapshots();
  await timed(samples, 'git state as a run asks it', () => (root === null ? null : snapshots.get(root)));
  await timed(samples, 'host facts', () => captureHost({ envAllowList: [] }));
  const sources = await timed(samples, 'sources: scan + md5', () =>
    collectSources({ mainFile: MAIN_FILE, baseDir, extraFiles: [] }, snapshots),
  );
  await timed(samples, 'dependencies', () => collectDependencies(sources as never, new Map()));
  const context = (await timed(samples, 'capture, all providers (as the run overlaps them)', () =>
    captureRunContext({
      mainFile: MAIN_FILE,
      extraSources: [],
      extraDependencies: new Map(),
      envAllowList: [],
      enforceClean: false,
    }),
  )) as Awaited<ReturnType<typeof captureRunContext>>;
  await timed(samples, 'reproducibility probe', () => describeReproducibility());

  // The file observer's started event, then its pieces on their own.
  const observer = new FileStorageObserver(dir);
  const config = { points: POINTS, seed: 1 };
  const meta = { command: 'main', options: {}, config_updates: {}, named_configs: [] };
  const event = {
    runId: null,
    requestedId: null,
    experiment: { name: 'run-start-cost', ...context.experiment },
    command: 'main',
    host: context.host,
    startTime: new Date(),
    config,
    meta,
  };
  await timed(samples, 'started event, file observer (whole)', () => observer.started(event));
  await observer.close();
  await timed(samples, '  shared source copies (all present)', () =>
    Promise.all(context.experiment.sources.map((s) => findOrSave(dir, SOURCES_DIR, s.absolutePath, s.md5))),
  );
  const claimed = (await timed(samples, '  run folder claim (mkdir)', () => claimNewRunFolder(dir))) as {
    dir: string;
  };
  const temp = path.join(claimed.dir, '.ritual');
  await timed(samples, '  config/metrics/info/cout + private dir', async () => {
    const { mkdir, appendFile } = await import('node:fs/promises');
    await mkdir(temp, { recursive: true });
    await Promise.all([
      writeSacredJson(path.join(claimed.dir, 'config.json'), config, { tempDir: temp }),
      appendFile(path.join(claimed.dir, 'cout.txt'), ''),
      writeSacredJson(path.join(claimed.dir, 'metrics.json'), {}, { tempDir: temp }),
      writeSacredJson(path.join(claimed.dir, 'info.json'), {}, { tempDir: temp }),
    ]);
  });
  const entry = formatSacredJson({ ...event, experiment: context.experiment });
  await timed(samples, '  run.json', () =>
    writeFileAtomic(path.join(claimed.dir, 'run.json'), entry, { tempDir: temp }),
  );

  await timed(samples, 'output capture set-up (sys)', () => startOutputCapture('sys').dispose());
  await timed(samples, 'system sampler start', () => {
    const sampler = new SystemSampler({ intervalSeconds: 10, record: () => {}, summarize: () => {}, debug: () => {} });
    sampler.start();
    sampler.stop();
  });

  // The end: metrics.json rewritten and flushed, run.json flushed.
  await timed(samples, 'end: run.json, durable (fsync + rename + folder fsync)', () =>
    writeFileAtomic(path.join(claimed.dir, 'run.json'), entry, { tempDir: temp, durable: true }),
  );
}

/** The training benchmark's process state: its backend loaded, one training of the example's default done. */
async function trainOnce(backend: string): Promise<void> {
  const { tf } = await loadTfjs(backend);
  await trainMnist(tf, { ...DEFAULT_TRAINING, epochs: 1 });
}

export async function runRunStartCostBench(options: RunStartCostOptions): Promise<BenchResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ritual-bench-run-start-'));
  const starts: number[] = [];
  const ends: number[] = [];
  const samples = new Map<string, number[]>();
  if (options.backend !== undefined) await trainOnce(options.backend);
  try {
    // One untimed run first: module loads and the process-wide caches (host facts) are not per-run costs.
    const warm = { entered: 0, returned: 0 };
    await tinyExperiment(dir, warm).run({ options: { loglevel: 'ERROR' } });
    for (let i = 0; i < options.runs; i++) {
      const marks = { entered: 0, returned: 0 };
      const ex = tinyExperiment(dir, marks);
      const called = performance.now();
      await ex.run({ options: { loglevel: 'ERROR' } });
      const resolved = performance.now();
      starts.push(marks.entered - called);
      ends.push(resolved - marks.returned);
      await timePhases(dir, samples);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const phases: PhaseMedians = Object.fromEntries([...samples].map(([name, values]) => [name, median(values)]));
  const start = median(starts);
  const end = median(ends);
  const figure = (name: string, ours: number, note: string): Figure => ({
    benchmark: 'run-start',
    name,
    unit: 'ms',
    ours,
    peer: null,
    target: '',
    pass: null,
    note,
  });
  const breakdown = Object.entries(phases)
    .map(([name, ms]) => `${name.trim()} ${ms.toFixed(1)}`)
    .join('; ');
  return {
    figures: [
      figure(
        'start of ex.run(): call to main entered',
        start,
        `median of ${options.runs} runs${options.backend ? ` after a ${options.backend} training` : ''}; phases (ms): ${breakdown}`,
      ),
      figure('end of ex.run(): main returned to resolved', end, `median of ${options.runs} runs, ${POINTS} points`),
    ],
    details: { runs: options.runs, backend: options.backend ?? null, start, end, phases, starts, ends },
  };
}

export function formatRunStartCost(result: BenchResult): string {
  const details = result.details as {
    runs: number;
    backend: string | null;
    start: number;
    end: number;
    phases: PhaseMedians;
  };
  const lines = [
    `run start/end cost, median of ${details.runs} runs (ms), backend loaded: ${details.backend ?? 'none'}`,
    `  start (ex.run() -> main)       ${details.start.toFixed(1)}`,
    `  end (main -> ex.run() resolved) ${details.end.toFixed(1)}`,
    '  phases, each on its own:',
  ];
  for (const [name, ms] of Object.entries(details.phases)) lines.push(`    ${name.padEnd(56)} ${ms.toFixed(1)}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? 20);
  const backend = process.argv[3];
  runRunStartCostBench({ runs, ...(backend !== undefined ? { backend } : {}) }).then(
    (result) => process.stdout.write(`${formatRunStartCost(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
