/**
 * Benchmark 4, MongoDB throughput: metric points per second reaching the
 * database through the observer, ritual (bench/mongo-throughput.ts, its
 * owner's module) vs Sacred's MongoObserver (pymongo), on the same test
 * server (test/support/mongo.ts: mongo-java-server, or MONGODB_URL).
 */
import { startMongoServer } from '../../test/support/mongo.js';
import type { BenchResult } from '../report.js';
import { median } from '../statistics.js';
import { sacredMongoThroughput } from './sacred-mongo.js';

export interface MongoPairOptions {
  points: number;
  /** Points per heartbeat flush, over all metrics. */
  batch: number;
  metrics: number;
  repeats: number;
}

const TARGET_POINTS_PER_SECOND = 100_000;

/** What this pairing needs from bench/mongo-throughput.ts (loaded by name: it lands separately). */
interface RitualMongoBench {
  runMongoBench(options: { url: string; database: string; points: number; batch: number; metrics: number }): Promise<{ pointsPerSecond: number }>;
}

async function loadRitualSide(): Promise<RitualMongoBench> {
  const specifier = '../mongo-throughput.js';
  try {
    return (await import(specifier)) as RitualMongoBench;
  } catch (cause) {
    throw new Error('bench/mongo-throughput.ts (runMongoBench, ritual\'s side of this benchmark) is missing or failed to load', { cause });
  }
}

export async function runMongoPair(options: MongoPairOptions): Promise<BenchResult> {
  const { runMongoBench } = await loadRitualSide();
  const server = await startMongoServer({ persistent: false });
  const ours: number[] = [];
  const peer: number[] = [];
  const ritualDetails: unknown[] = [];
  try {
    for (let round = 0; round < options.repeats; round++) {
      const ritual = await runMongoBench({ url: server.url, database: `bench_ritual_${round}`, points: options.points, batch: options.batch, metrics: options.metrics });
      ritualDetails.push(ritual);
      ours.push(ritual.pointsPerSecond);
      const sacred = await sacredMongoThroughput({ url: server.url, database: `bench_sacred_${round}`, points: options.points, batch: options.batch, metrics: options.metrics });
      peer.push(sacred.pointsPerSecond);
    }
  } finally {
    await server.dispose();
  }
  const oursMedian = median(ours);
  return {
    figures: [
      {
        benchmark: 'mongo',
        name: 'metric points/s into MongoDB',
        unit: 'points/s',
        ours: oursMedian,
        peer: median(peer),
        target: `>= ${TARGET_POINTS_PER_SECOND / 1e3}k/s`,
        pass: oursMedian >= TARGET_POINTS_PER_SECOND,
        note: `${options.points} points over ${options.metrics} metrics, flushed ${options.batch} per heartbeat, median of ${options.repeats} runs each, same ${process.env.MONGODB_URL ? 'MongoDB (MONGODB_URL)' : 'mongo-java-server (in-memory) test server'}; counted only once stored.`,
      },
    ],
    details: { ritual: ritualDetails, sacredPointsPerSecond: peer },
  };
}
