/**
 * The ritual side of the `peers` benchmark: the same work as the Python
 * trackers (bench/peers/trackers/tracker.py) with a file observer.
 *
 * Env: RITUAL_BENCH_RUNS (runs folder), RITUAL_BENCH_MODE (startup | calls |
 * batch), RITUAL_BENCH_N (seconds of the calls loop, or points of batch).
 * ritual has no batch call: `batch` logs its points with logScalar in
 * chunks of 10,000 with an await between (as a training loop does), then the
 * run ends, and the wall clock just before the end is printed.
 */
import { Experiment } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import { emitResult } from '../child-process.js';

const runs = process.env.RITUAL_BENCH_RUNS;
if (runs === undefined) throw new Error('set RITUAL_BENCH_RUNS to the folder the file observer writes to');
const mode = process.env.RITUAL_BENCH_MODE ?? 'startup';
const n = Number(process.env.RITUAL_BENCH_N ?? 0);
const CHUNK = 10_000;

const ex = new Experiment('peers')
  .config({ lr: 0.001, epochs: 3, batchSize: 64, hidden: 128 })
  .observe(new FileStorageObserver(runs));
ex.main(async ({ run }) => {
  if (mode === 'startup') {
    run.logScalar('loss', 0.5, 0);
    return {};
  }
  if (mode === 'calls') {
    // Growing chunks, one clock read each, an await between chunks (heartbeats drain there).
    let calls = 0;
    let chunk = 1_000;
    const start = process.hrtime.bigint();
    for (;;) {
      for (let i = calls; i < calls + chunk; i++) run.logScalar('loss', i * 0.001);
      calls += chunk;
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (seconds >= n) return { callsPerSecond: calls / seconds };
      chunk = Math.min(chunk * 2, 1_000_000);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  for (let first = 0; first < n; first += CHUNK) {
    for (let i = first; i < Math.min(n, first + CHUNK); i++) run.logScalar('loss', i * 0.001, i);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { finishFrom: Date.now() };
});

// `seed` makes the fifth parameter, as the trackers log five.
const run = await ex.run({ configUpdates: { seed: 1 }, options: { beatInterval: 1, loglevel: 'ERROR' } });
emitResult(run.result);
