/**
 * MongoDB throughput: metric points per second that reach the database through
 * MongoObserver (journal + batched background upload: one bulkWrite per
 * heartbeat), and what the observer costs the training loop per point (the
 * synchronous part: journal append and planning, paid inside logMetrics).
 *
 *   node --conditions=@ritual/source --import tsx bench/mongo-throughput.ts [--points N] [--batch N] [--metrics N]
 *     [--unjournaled]
 *
 * `--unjournaled` writes with `{ w: 1 }` instead of the observer's default `{ w: 1, journal: true }`.
 *
 * Without MONGODB_URL it starts the test server (test/support/mongo.ts).
 * Counted only once stored: the clock stops when close() reports every event acknowledged.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { StartedEvent } from '@ritual/core';
import type { WriteConcernSettings } from 'mongodb';
import { MongoObserver } from '../packages/observers/src/mongo/observer.js';
import { startMongoServer } from '../test/support/mongo.js';

export interface MongoBenchOptions {
  url: string;
  database: string;
  /** Total points over all metrics. */
  points: number;
  /** Points per heartbeat flush, over all metrics. */
  batch: number;
  metrics: number;
  /** The observer's write concern (default: its own, journaled writes). */
  writeConcern?: WriteConcernSettings;
}

export interface MongoBenchResult {
  points: number;
  seconds: number;
  pointsPerSecond: number;
  /** Time the training loop spent inside logMetrics/heartbeat, per point. */
  loopNanosecondsPerPoint: number;
  /** All main-thread CPU of the process per point (journal, planning, BSON, driver): what the observer costs training in total. */
  cpuNanosecondsPerPoint: number;
  heartbeats: number;
  /** Whether everything was acknowledged (false: some events stayed in the journal). */
  complete: boolean;
}

function startedEvent(): StartedEvent {
  return {
    runId: null,
    experiment: {
      name: 'bench',
      base_dir: process.cwd(),
      mainfile: null,
      sources: [],
      dependencies: [],
      repositories: [],
    },
    command: 'main',
    host: { hostname: 'bench', os: ['Linux', 'bench'], node_version: process.version, cpu: 'bench', ENV: {} },
    startTime: new Date(),
    config: { seed: 1 },
    meta: { command: 'main', options: {}, config_updates: {}, named_configs: [] },
  };
}

export async function runMongoBench(options: MongoBenchOptions): Promise<MongoBenchResult> {
  const journalDir = await mkdtemp(join(tmpdir(), 'ritual-mongo-bench-'));
  const logs: string[] = [];
  const observer = new MongoObserver({
    url: options.url,
    dbName: options.database,
    journalDir,
    closeTimeoutMS: 600_000,
    log: (line) => logs.push(line),
    ...(options.writeConcern ? { writeConcern: options.writeConcern } : {}),
  });
  try {
    const runId = (await observer.started(startedEvent())) ?? null;
    if (runId === null) throw new Error(`the benchmark run could not start: ${logs.join(' ')}`);
    const perMetric = Math.max(1, Math.floor(options.batch / options.metrics));
    const names = Array.from({ length: options.metrics }, (_, index) => `metric.${index}`);
    const info = {};
    let written = 0;
    let step = 0;
    let loopNs = 0n;
    let heartbeats = 0;
    const began = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    while (written < options.points) {
      const count = Math.min(perMetric, Math.ceil((options.points - written) / options.metrics));
      const now = Date.now();
      const metrics = names.map((name) => {
        const steps = Array.from({ length: count }, (_, i) => step + i);
        return { name, steps, values: steps.map((s) => 1 / (s + 1)), timestamps: steps.map(() => now) };
      });
      step += count;
      const before = process.hrtime.bigint();
      observer.logMetrics({ runId, metrics, info });
      observer.heartbeat({ runId, info, capturedOutDelta: '', beatTime: new Date(), result: undefined });
      loopNs += process.hrtime.bigint() - before;
      heartbeats += 1;
      written += count * options.metrics;
      // let the uploader run between beats, as a training loop's awaits do
      await new Promise((resolve) => setImmediate(resolve));
    }
    await observer.completed({ runId, stopTime: new Date(), result: null });
    await observer.close();
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    return {
      points: written,
      seconds,
      pointsPerSecond: written / seconds,
      loopNanosecondsPerPoint: Number(loopNs) / written,
      cpuNanosecondsPerPoint: ((cpu.user + cpu.system) * 1000) / written,
      heartbeats,
      complete: observer.journalPath === null,
    };
  } finally {
    await rm(journalDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      points: { type: 'string', default: '500000' },
      batch: { type: 'string', default: '20000' },
      metrics: { type: 'string', default: '4' },
      unjournaled: { type: 'boolean', default: false },
    },
  });
  const server = await startMongoServer({ persistent: false });
  try {
    const result = await runMongoBench({
      url: server.url,
      database: 'bench',
      points: Number(values.points),
      batch: Number(values.batch),
      metrics: Number(values.metrics),
      ...(values.unjournaled ? { writeConcern: { w: 1 } } : {}),
    });
    console.log(`write concern: ${values.unjournaled ? '{ w: 1 }' : 'default { w: 1, journal: true }'}`);
    console.log(
      `${result.points} points in ${result.seconds.toFixed(2)} s: ${Math.round(result.pointsPerSecond).toLocaleString('en')} points/s stored (target >= 100,000)`,
    );
    console.log(
      `training-loop cost: ${result.loopNanosecondsPerPoint.toFixed(0)} ns per point inside logMetrics/heartbeat, ${result.cpuNanosecondsPerPoint.toFixed(0)} ns of this process's CPU per point in all; ${result.heartbeats} heartbeats; complete: ${result.complete}`,
    );
  } finally {
    await server.dispose();
  }
}
