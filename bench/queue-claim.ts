/**
 * The MongoDB queue (issue 17): how fast workers claim, and what a worker costs per run.
 *
 * Claim throughput: a runs collection holding N QUEUED runs (1k, then 10k), 8 claimers racing (8
 * MongoRunQueue connections in this process, each claiming in a loop), runs claimed per second over
 * the first `claims` claims, with the claim index and without it. With the index a claim reads one
 * index entry, so the rate stays flat as the queue grows; without it the server scans and sorts the
 * queue on every claim. Every claimed id is checked distinct (the claim is one atomic update).
 *
 * Worker overhead: the same N runs of bench/sweep-subject.ts (tsx, -m into the test server) started
 * one by one by hand, and queued (`-M -q`, timed apart) then drained by one `worker` process; arms
 * alternate in each round. The figure is the worker's extra wall time per run.
 *
 *   node --conditions=@ritual/source --import tsx bench/queue-claim.ts
 *
 * Without MONGODB_URL it starts the test server (test/support/mongo.ts).
 */
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { MongoRunQueue } from '../packages/observers/src/mongo/run-queue.js';
import { startMongoServer } from '../test/support/mongo.js';
import type { BenchResult, Figure } from './report.js';
import { median } from './statistics.js';
import { runSweepSubject } from './sweep-subject-run.js';

const CLAIMERS = 8;
/** The target: a worker costs at most this much over the same runs by hand. */
const TARGET_RATIO = 1.25;

export interface QueueBenchOptions {
  sizes: number[];
  /** Claims timed at each size (all claimers together). */
  claims: number;
  /** Runs of the worker-overhead arms, and rounds of them. */
  runs: number;
  rounds: number;
}

interface ClaimRate {
  size: number;
  index: boolean;
  claimsPerSecond: number;
  distinct: boolean;
}

async function claimRate(url: string, size: number, claims: number, index: boolean): Promise<ClaimRate> {
  const client = await MongoClient.connect(url);
  const runs = client.db().collection('runs');
  try {
    await runs.drop().catch(() => {});
    const start = Date.UTC(2026, 0, 1);
    for (let from = 0; from < size; from += 1000) {
      const batch = Array.from({ length: Math.min(1000, size - from) }, (_, k) => {
        const i = from + k;
        return {
          _id: i + 1,
          status: 'QUEUED',
          experiment: { name: 'bench-queue', sources: [] },
          command: 'main',
          config: { i, seed: i + 1 },
          // A few priorities, so the sort has work to do; the oldest first within one.
          meta: { command: 'main', priority: i % 3, queue_time: new Date(start + i), queue: { attempts: 0 } },
        };
      });
      await runs.insertMany(batch as never);
    }
    const queues = await Promise.all(
      Array.from({ length: CLAIMERS }, () => MongoRunQueue.open(url, { index, serverSelectionTimeoutMS: 60_000 })),
    );
    try {
      if (!index) await runs.dropIndexes().catch(() => {});
      const claimed: unknown[] = [];
      const began = performance.now();
      await Promise.all(
        queues.map(async (queue, w) => {
          while (claimed.length < claims) {
            const run = await queue.claim({ experiment: 'bench-queue', worker: `bench:${w}` });
            if (run === null) break;
            claimed.push(run.id);
          }
        }),
      );
      const seconds = (performance.now() - began) / 1000;
      return {
        size,
        index,
        claimsPerSecond: claimed.length / seconds,
        distinct: new Set(claimed).size === claimed.length,
      };
    } finally {
      // Also when a claim fails: open connections would keep the suite's process alive after its report.
      await Promise.all(queues.map((queue) => queue.close().catch(() => {})));
    }
  } finally {
    await runs.drop().catch(() => {});
    await client.close();
  }
}

export async function runQueueBench(options: QueueBenchOptions): Promise<BenchResult> {
  const server = process.env.MONGODB_URL ? null : await startMongoServer({ persistent: false });
  const base = process.env.MONGODB_URL ?? server!.url;
  try {
    const rates: ClaimRate[] = [];
    for (const size of options.sizes) {
      for (const index of [true, false]) {
        rates.push(await claimRate(`${base}/bench_queue_claim`, size, Math.min(options.claims, size), index));
      }
    }
    const byHand: number[] = [];
    const worker: number[] = [];
    const queueing: number[] = [];
    const hidden = Array.from({ length: options.runs }, (_, i) => i + 1);
    for (let round = 0; round < options.rounds; round++) {
      const arms = [
        async () => {
          const url = `${base}/bench_queue_hand_${round}`;
          let total = 0;
          for (const h of hidden) total += await runSweepSubject(['with', `hidden=${h}`, '-m', url]);
          byHand.push(total);
        },
        async () => {
          const url = `${base}/bench_queue_worker_${round}`;
          queueing.push(await runSweepSubject(['-M', '-q', 'with', `hidden=${hidden.join(',')}`, '-m', url]));
          worker.push(await runSweepSubject(['worker', '-m', url]));
        },
      ];
      if (round % 2 === 1) arms.reverse();
      for (const arm of arms) await arm();
    }
    const hand = median(byHand);
    const drained = median(worker);
    const ratio = drained / hand;
    const largest = Math.max(...options.sizes);
    const smallest = Math.min(...options.sizes);
    const rate = (size: number, index: boolean) => rates.find((r) => r.size === size && r.index === index)!;
    const note = `${CLAIMERS} claimers, ${options.claims} claims timed per size; ids all distinct: ${rates.every((r) => r.distinct)}`;
    const figures: Figure[] = [];
    for (const r of rates) {
      figures.push({
        benchmark: 'queue',
        name: `claims per second, ${r.size} queued, ${r.index ? 'with' : 'without'} the claim index`,
        unit: '/s',
        ours: r.claimsPerSecond,
        peer: null,
        target: 'context',
        pass: null,
        note,
      });
    }
    const flat = rate(largest, true).claimsPerSecond / rate(smallest, true).claimsPerSecond;
    figures.push(
      {
        benchmark: 'queue',
        name: `claim rate at ${largest} / at ${smallest} queued (index)`,
        unit: 'x',
        ours: flat,
        peer: null,
        target: '>= 0.7x (flat)',
        pass: flat >= 0.7,
        note,
      },
      {
        benchmark: 'queue',
        name: `claim rate with / without the index at ${largest} queued`,
        unit: 'x',
        ours: rate(largest, true).claimsPerSecond / rate(largest, false).claimsPerSecond,
        peer: null,
        target: 'context',
        pass: null,
        note,
      },
    );
    const workerNote = `${options.runs} runs of sweep-subject (tsx, -m), median of ${options.rounds} rounds; by hand ${hand.toFixed(0)} ms, worker ${drained.toFixed(0)} ms, queueing them (-M -q, apart) ${median(queueing).toFixed(0)} ms`;
    figures.push(
      {
        benchmark: 'queue',
        name: 'worker overhead per run',
        unit: 'ms',
        ours: (drained - hand) / options.runs,
        peer: null,
        target: 'context (see the ratio)',
        pass: null,
        note: workerNote,
      },
      {
        benchmark: 'queue',
        name: 'worker / the same runs by hand',
        unit: 'x',
        ours: ratio,
        peer: null,
        target: `<= ${TARGET_RATIO}x`,
        pass: ratio <= TARGET_RATIO,
        note: workerNote,
      },
    );
    return { figures, details: { rates, byHandMs: byHand, workerMs: worker, queueingMs: queueing } };
  } finally {
    await server?.dispose();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const smoke = process.argv.includes('--smoke');
  const result = await runQueueBench(
    smoke
      ? { sizes: [200, 1000], claims: 100, runs: 2, rounds: 1 }
      : { sizes: [1000, 10_000], claims: 500, runs: 8, rounds: 2 },
  );
  for (const figure of result.figures)
    process.stdout.write(`${figure.name}: ${figure.ours?.toFixed(2)} ${figure.unit}  (${figure.note ?? ''})\n`);
}
