/**
 * Listing a large store (issue 18: "a store of 10,000 runs is interactive within 1 s"): a runs folder and a
 * MongoDB database of N runs each (realistic run.json, config.json, info.json, cout.txt and small metrics;
 * some RUNNING, some FAILED, some in a sweep), then the median time of
 * - the first page of 50 sorted by start_time descending,
 * - a filtered page (`config.lr < 0.01`, sorted by result descending),
 * - a count of that filter,
 * through the RunStore API with a fresh store object each time (as a new `ritual` process has), and
 * - `ritual ls STORE -n 50 --sort -start` through the built binary (packages/cli/bin/ritual.js: run
 *   `npm run build` first), the whole process,
 * - `ritual ls STORE` of every run (the full table), once.
 * For the file store also the first listing of all (what a folder without any cache costs).
 *
 * Each time is given as wall time and as CPU time (this process's, or the child's through GNU time): the
 * second is what to compare across runs on a shared machine.
 *
 *   node --conditions=@ritual/source --import tsx bench/run-listing.ts [--runs 10000] [--repeats 5]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { JsonObject } from '@ritual/core';
import { FileRunStore } from '../packages/observers/src/file/store.js';
import { MongoRunStore } from '../packages/observers/src/mongo/store.js';
import type { FindOptions, RunStore } from '../packages/observers/src/store.js';
import { startMongoServer } from '../test/support/mongo.js';
import { runChild } from './peers/child-process.js';
import type { BenchResult, Figure } from './report.js';
import { median } from './statistics.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RITUAL_BIN = join(HERE, '..', 'packages', 'cli', 'bin', 'ritual.js');
const PAGE = 50;
/** The bound for an interactive table. */
const TARGET_MS = 1000;
const FILTER: JsonObject = { 'config.lr': { $lt: 0.01 } };
const BY_START: FindOptions = { sort: { start_time: -1, _id: 1 }, limit: PAGE };
const BY_RESULT: FindOptions = { sort: { result: -1, _id: 1 }, limit: PAGE };

export interface RunListingOptions {
  runs: number;
  repeats: number;
}

/** A fixed generator for the fixture's values: the same store every time, nothing from Math.random. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const sacredTime = (ms: number) => new Date(ms).toISOString().replace('Z', '000');

interface FixtureRun {
  id: number;
  run: Record<string, unknown>;
  config: JsonObject;
  metrics: Record<string, { steps: number[]; values: number[]; timestamps: string[] }>;
}

/** Run `id` of the fixture: 5% RUNNING (alive), 10% FAILED, a third in one of 20 sweeps. */
function fixtureRun(id: number, random: () => number, now: number): FixtureRun {
  const start = now - (20_000 - id) * 60_000 - Math.floor(random() * 30_000);
  const kind = random();
  const status = kind < 0.05 ? 'RUNNING' : kind < 0.15 ? 'FAILED' : 'COMPLETED';
  const stop = status === 'RUNNING' ? null : start + 60_000 + Math.floor(random() * 600_000);
  const heartbeat = status === 'RUNNING' ? now - 5_000 : (stop as number) - 1_000;
  const config = {
    lr: Number((10 ** (-4 + 3 * random())).toPrecision(4)),
    batchSize: [32, 64, 128, 256][Math.floor(random() * 4)] as number,
    epochs: 1 + Math.floor(random() * 10),
    model: { hidden: [64, 128, 256][Math.floor(random() * 3)] as number, dropout: 0.2 },
    seed: 1 + Math.floor(random() * 1e9),
  };
  const sweep = id % 3 === 0 ? { id: `sweep${id % 20}`, index: Math.floor(id / 60), size: 170 } : undefined;
  const run = {
    artifacts: ['model.json'],
    command: 'main',
    experiment: {
      base_dir: '/home/ada/mnist',
      dependencies: ['@tensorflow/tfjs==4.22.0', 'seedrandom==3.0.5'],
      mainfile: 'train.js',
      name: id % 4 === 0 ? 'mnist-cnn' : 'mnist',
      repositories: [{ commit: '3f2c1e9a7b6d5c4e3f2a1b0c9d8e7f6a5b4c3d2e', dirty: false, url: 'https://x/mnist.git' }],
      sources: [['train.js', '_sources/train_8bea0698e0793e362a7334baf636f9ec.js']],
    },
    fail_trace: status === 'FAILED' ? ['Traceback', 'Error: loss is NaN'] : null,
    heartbeat: sacredTime(heartbeat),
    host: {
      ENV: {},
      cpu: 'AMD EPYC 7B13',
      cpu_count: 2,
      hostname: `host-${id % 7}`,
      node_version: 'v20.20.2',
      os: ['Linux', 'Linux-6.1.0-x86_64'],
    },
    meta: {
      command: 'main',
      comment: id % 10 === 0 ? `try ${id}` : '',
      config_updates: { lr: config.lr },
      named_configs: [],
      options: { '--file_storage': 'runs', '--name': null, '--unobserved': false },
      ...(sweep ? { sweep } : {}),
    },
    resources: [],
    result: status === 'COMPLETED' ? Number(random().toFixed(4)) : null,
    start_time: sacredTime(start),
    status,
    stop_time: stop === null ? null : sacredTime(stop),
  };
  const metrics: FixtureRun['metrics'] = {};
  for (const name of ['loss', 'acc', 'val.acc']) {
    const steps = Array.from({ length: 10 }, (_, step) => step);
    metrics[name] = {
      steps,
      values: steps.map(() => Number(random().toFixed(4))),
      timestamps: steps.map((step) => sacredTime(start + step * 1000)),
    };
  }
  return { id, run, config, metrics };
}

export function fixture(runs: number): FixtureRun[] {
  const random = generator(18);
  const now = Date.now();
  return Array.from({ length: runs }, (_, index) => fixtureRun(index + 1, random, now));
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export async function writeFileStore(dir: string, runs: FixtureRun[]): Promise<void> {
  await mkdir(join(dir, '_sources'), { recursive: true });
  const writeOne = async ({ id, run, config, metrics }: FixtureRun) => {
    const runDir = join(dir, String(id));
    await mkdir(runDir);
    await Promise.all([
      writeFile(join(runDir, 'run.json'), json(run)),
      writeFile(join(runDir, 'config.json'), json(config)),
      writeFile(join(runDir, 'info.json'), '{}\n'),
      writeFile(join(runDir, 'metrics.json'), json(metrics)),
      writeFile(join(runDir, 'cout.txt'), `epoch 1\nepoch 2\nrun ${id} done\n`),
      writeFile(join(runDir, 'model.json'), '{"weights": []}\n'),
    ]);
  };
  for (let start = 0; start < runs.length; start += 64) await Promise.all(runs.slice(start, start + 64).map(writeOne));
}

const asDate = (value: unknown) => (typeof value === 'string' ? new Date(`${value}Z`) : null);

export async function writeMongoStore(url: string, database: string, runs: FixtureRun[]): Promise<void> {
  const { MongoClient } = await import('mongodb');
  const client = await MongoClient.connect(url);
  try {
    const db = client.db(database);
    const documents = runs.map(({ id, run, config }) => ({
      ...run,
      _id: id,
      format: 'MongoObserver-0.7.0',
      config,
      info: {},
      captured_out: `epoch 1\nepoch 2\nrun ${id} done\n`,
      start_time: asDate(run.start_time),
      heartbeat: asDate(run.heartbeat),
      stop_time: asDate(run.stop_time),
      artifacts: [],
    }));
    for (let start = 0; start < documents.length; start += 1000)
      await db.collection('runs').insertMany(documents.slice(start, start + 1000) as never[]);
    const metrics = runs.flatMap(({ id, metrics: series }) =>
      Object.entries(series).map(([name, points]) => ({
        run_id: id,
        name,
        steps: points.steps,
        values: points.values,
        timestamps: points.timestamps.map((time) => asDate(time)),
      })),
    );
    for (let start = 0; start < metrics.length; start += 3000)
      await db.collection('metrics').insertMany(metrics.slice(start, start + 3000));
  } finally {
    await client.close();
  }
}

/** What a store offers for a count: `count` where the store has it, else every matching run read. */
async function countRuns(store: RunStore, filter: JsonObject): Promise<number> {
  const counting = store as RunStore & { count?: (filter: JsonObject) => Promise<number> };
  return typeof counting.count === 'function' ? counting.count(filter) : (await store.find(filter)).length;
}

interface Timing {
  ms: number;
  /** CPU time (user + system) of this process or of the child: far less sensitive than wall time to other load. */
  cpuMs: number;
}

async function timed(action: () => Promise<unknown>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await action();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}

async function medianOf(repeats: number, action: () => Promise<Timing>): Promise<Timing> {
  const times: Timing[] = [];
  for (let i = 0; i < repeats; i++) times.push(await action());
  return { ms: median(times.map((t) => t.ms)), cpuMs: median(times.map((t) => t.cpuMs)) };
}

async function ritualLs(args: string[]): Promise<Timing> {
  const run = await runChild(process.execPath, [RITUAL_BIN, 'ls', ...args], { cpuTime: true });
  return { ms: run.ms, cpuMs: run.cpuMs ?? Number.NaN };
}

interface StoreTimes {
  firstPage: Timing;
  filteredPage: Timing;
  count: Timing;
  lsPage: Timing;
  lsAll: Timing;
  /** `ritual ls` of an empty folder: the process's own start-up, for comparison. */
  lsEmpty: Timing;
  /** File store only: the first listing of the folder as found (no cache of any kind yet). */
  coldListing?: Timing;
}

async function timeStore(
  open: () => Promise<RunStore>,
  location: string,
  repeats: number,
  expected: { filtered: number; empty: string },
  cold: boolean,
): Promise<StoreTimes> {
  const withStore = async (action: (store: RunStore) => Promise<unknown>) => {
    const store = await open();
    try {
      return await action(store);
    } finally {
      await store.close();
    }
  };
  const coldListing = cold ? await timed(() => withStore((store) => store.find({}, BY_START))) : undefined;
  const counted = (await withStore((store) => countRuns(store, FILTER))) as number;
  if (counted !== expected.filtered)
    throw new Error(`${location}: counted ${counted} runs, expected ${expected.filtered}`);
  const page = (await withStore((store) => store.find(FILTER, BY_RESULT))) as unknown[];
  if (page.length !== Math.min(PAGE, expected.filtered)) throw new Error(`${location}: a page of ${page.length} runs`);
  return {
    ...(coldListing !== undefined ? { coldListing } : {}),
    firstPage: await medianOf(repeats, () => timed(() => withStore((store) => store.find({}, BY_START)))),
    filteredPage: await medianOf(repeats, () => timed(() => withStore((store) => store.find(FILTER, BY_RESULT)))),
    count: await medianOf(repeats, () => timed(() => withStore((store) => countRuns(store, FILTER)))),
    lsPage: await medianOf(repeats, () => ritualLs([location, '-n', String(PAGE), '--sort', '-start'])),
    lsEmpty: await medianOf(repeats, () => ritualLs([expected.empty])),
    lsAll: await ritualLs([location]),
  };
}

function figures(kind: 'file' | 'mongo', times: StoreTimes, runs: number, repeats: number): Figure[] {
  const note = `${runs} runs, median of ${repeats} (each with a fresh store object), page of ${PAGE}`;
  const figure = (name: string, timing: Timing, targeted: boolean): Figure[] => [
    {
      benchmark: 'run-listing',
      name: `${kind}: ${name}`,
      unit: 'ms',
      ours: timing.ms,
      peer: null,
      target: targeted ? `< ${TARGET_MS} ms` : 'context',
      pass: targeted ? timing.ms < TARGET_MS : null,
      note,
    },
    {
      benchmark: 'run-listing',
      name: `${kind}: ${name}, CPU`,
      unit: 'ms',
      ours: timing.cpuMs,
      peer: null,
      target: 'context (load-insensitive)',
      pass: null,
      note,
    },
  ];
  return [
    ...(times.coldListing !== undefined
      ? figure('first listing of the folder as found', times.coldListing, false)
      : []),
    ...figure('first page by start desc', times.firstPage, true),
    ...figure('filtered page (config.lr < 0.01, by result)', times.filteredPage, true),
    ...figure('count (config.lr < 0.01)', times.count, true),
    ...figure(`ritual ls -n ${PAGE} --sort -start (process)`, times.lsPage, true),
    ...figure('ritual ls of an empty folder (process start-up)', times.lsEmpty, false),
    ...figure('ritual ls, every run (process)', times.lsAll, false),
  ];
}

export async function runRunListingBench(options: RunListingOptions): Promise<BenchResult> {
  const runs = fixture(options.runs);
  const filtered = runs.filter((run) => (run.config.lr as number) < 0.01).length;
  const scratch = await mkdtemp(join(tmpdir(), 'ritual-bench-listing-'));
  const server = await startMongoServer({ persistent: false });
  try {
    const folder = join(scratch, 'runs');
    const writing = performance.now();
    await writeFileStore(folder, runs);
    await writeMongoStore(server.url, 'listing', runs);
    process.stderr.write(
      `bench: run-listing: ${runs.length} runs written in ${((performance.now() - writing) / 1000).toFixed(1)} s\n`,
    );
    const empty = join(scratch, 'empty');
    await mkdir(empty);
    const expected = { filtered, empty };
    const file = await timeStore(() => FileRunStore.open(folder), folder, options.repeats, expected, true);
    const url = `${server.url}/listing`;
    const mongo = await timeStore(() => MongoRunStore.open(url), url, options.repeats, expected, false);
    return {
      figures: [
        ...figures('file', file, runs.length, options.repeats),
        ...figures('mongo', mongo, runs.length, options.repeats),
      ],
      details: { runs: runs.length, filtered, repeats: options.repeats, file, mongo },
    };
  } finally {
    await server.dispose();
    await rm(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '10000' }, repeats: { type: 'string', default: '5' } },
  });
  const result = await runRunListingBench({ runs: Number(values.runs), repeats: Number(values.repeats) });
  for (const figure of result.figures) console.log(`${figure.name}: ${figure.ours?.toFixed(0)} ms`);
}
