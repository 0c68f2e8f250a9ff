/**
 * Memory subject: resident memory over a run that logs many points at a
 * steady rate with a 1-second heartbeat and a file observer. Flushed points
 * must not stay in memory, so RSS growth depends on the rate (points per
 * beat), not on how long the run has gone on.
 *
 * Env: RITUAL_BENCH_RUNS, RITUAL_BENCH_POINTS (default 10M),
 * RITUAL_BENCH_RATE (points/s, default 1M). Run with --expose-gc.
 */
import { Experiment } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import { emitResult } from '../child-process.js';

const runs = process.env.RITUAL_BENCH_RUNS;
if (runs === undefined) throw new Error('set RITUAL_BENCH_RUNS to the folder the file observer writes to');
const points = Number(process.env.RITUAL_BENCH_POINTS ?? 10_000_000);
const rate = Number(process.env.RITUAL_BENCH_RATE ?? 1_000_000);
/** One "batch" of a training loop: log, then await (where timers and beats run). */
const BATCH = 10_000;
const SAMPLE_MS = 100;
const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error('run with node --expose-gc');

const ex = new Experiment('memory').observe(new FileStorageObserver(runs));
ex.main(async ({ run }) => {
  collect();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const samples: number[] = [];
  const sampler = setInterval(() => {
    const rss = process.memoryUsage().rss;
    samples.push(rss);
    if (rss > peak) peak = rss;
  }, SAMPLE_MS);
  const started = performance.now();
  for (let logged = 0; logged < points; logged += BATCH) {
    const n = Math.min(BATCH, points - logged);
    for (let i = 0; i < n; i++) run.logScalar('loss', (logged + i) * 1e-7);
    // Keep to the rate: a real loop spends its time training between logs.
    const due = ((logged + n) / rate) * 1000 - (performance.now() - started);
    await new Promise((resolve) => (due > 0 ? setTimeout(resolve, due) : setImmediate(resolve)));
  }
  const seconds = (performance.now() - started) / 1000;
  // One more beat interval so the last points are flushed and their memory can go.
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  clearInterval(sampler);
  const end = process.memoryUsage().rss;
  const mb = (bytes: number) => bytes / 2 ** 20;
  return {
    points,
    rate,
    seconds,
    baselineMb: mb(baseline),
    peakMb: mb(peak),
    endMb: mb(end),
    growthMb: mb(peak - baseline),
    samplesMb: samples.map(mb),
  };
});

const run = await ex.run({ options: { beatInterval: 1 } });
emitResult(run.result);
