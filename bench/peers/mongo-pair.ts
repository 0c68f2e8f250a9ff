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

export async function runMongoPair(options: MongoPairOptions): Promise<BenchResult> {
  // Loaded here, not at the top, so a broken MongoDB setup fails this row alone.
  const { runMongoBench } = await import('../mongo-throughput.js');
  const server = await startMongoServer({ persistent: false });
  const ours: number[] = [];
  const peer: number[] = [];
  const ritualDetails: unknown[] = [];
  const loopNs: number[] = [];
  /** The same run with `{ w: 1 }` (no journal wait): what the default journaled writes cost. */
  const unjournaled: number[] = [];
  try {
    for (let round = 0; round < options.repeats; round++) {
      const ritual = await runMongoBench({
        url: server.url,
        database: `bench_ritual_${round}`,
        points: options.points,
        batch: options.batch,
        metrics: options.metrics,
      });
      if (!ritual.complete)
        throw new Error(
          `ritual's MongoObserver left events in its journal after ${ritual.points} points: the figure would count points that never arrived`,
        );
      ritualDetails.push(ritual);
      ours.push(ritual.pointsPerSecond);
      loopNs.push(ritual.loopNanosecondsPerPoint);
      const sizes = { points: options.points, batch: options.batch, metrics: options.metrics };
      const fast = await runMongoBench({
        url: server.url,
        database: `bench_ritual_w1_${round}`,
        ...sizes,
        writeConcern: { w: 1 },
      });
      unjournaled.push(fast.pointsPerSecond);
      const sacred = await sacredMongoThroughput({
        url: server.url,
        database: `bench_sacred_${round}`,
        points: options.points,
        batch: options.batch,
        metrics: options.metrics,
      });
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
        note: `${options.points} points over ${options.metrics} metrics, flushed ${options.batch} per heartbeat, median of ${options.repeats} runs each, same ${process.env.MONGODB_URL ? 'MongoDB (MONGODB_URL)' : 'mongo-java-server (in-memory) test server'}; counted only once stored. ritual's training loop pays ${median(loopNs).toFixed(0)} ns per point inside logMetrics + heartbeat (the upload runs in the background). ${writeConcernNote(oursMedian, median(unjournaled))}`,
      },
    ],
    details: { ritual: ritualDetails, sacredPointsPerSecond: peer, unjournaledPointsPerSecond: unjournaled },
  };
}

/** The cost of the default journaled writes, measured in the same run as the figure. */
function writeConcernNote(journaled: number, unjournaled: number): string {
  const ratio = (journaled / unjournaled).toFixed(2);
  const line = `Journaled writes (the default) vs { w: 1 }: ${Math.round(journaled)} vs ${Math.round(unjournaled)} points/s (${ratio}x)`;
  // mongo-java-server takes no notice of the journal flag: there the two differ only by noise.
  return process.env.MONGODB_URL
    ? `${line}.`
    : `${line}; the test server acknowledges both alike, a real mongod waits for its journal.`;
}
