/**
 * logScalar subject: `run.logScalar` calls per second inside a real run with
 * a file observer attached, and what each call allocates. The Sacred side
 * is bench/peers/sacred/log_scalar.py (same loop: one metric, a changing
 * value, automatic steps, timed around the loop only).
 *
 * Env: RITUAL_BENCH_RUNS (runs folder), RITUAL_BENCH_CALLS (default 20M).
 * Run with `--expose-gc --max-semi-space-size=64` so the allocation probe
 * sees every byte it allocates (no scavenge fits inside the probe).
 */
import { GCProfiler } from 'node:v8';
import { Experiment } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import { emitResult } from '../child-process.js';

const runs = process.env.RITUAL_BENCH_RUNS;
if (runs === undefined) throw new Error('set RITUAL_BENCH_RUNS to the folder the file observer writes to');
const calls = Number(process.env.RITUAL_BENCH_CALLS ?? 20_000_000);
/** A training loop awaits between batches; heartbeats drain the buffer there. */
const CHUNK = 1_000_000;
const PROBE_CALLS = 100_000;
const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error('run with node --expose-gc');

type Logger = { logScalar(name: string, value: number, step?: number): void };

const ex = new Experiment('log_scalar').observe(new FileStorageObserver(runs));
ex.main(async ({ run }) => {
  // Warm-up so the timed loop runs optimised code, as a training loop does after its first batches.
  timedLoop(run, 'warmup', Math.min(calls, 200_000), 0);
  let loopNs = 0n;
  for (let done = 0; done < calls; done += CHUNK) {
    loopNs += timedLoop(run, 'loss', Math.min(CHUNK, calls - done), done);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return {
    seconds: Number(loopNs) / 1e9,
    callsPerSecond: calls / (Number(loopNs) / 1e9),
    allocation: await allocationProbe(run),
  };
});

function timedLoop(run: Logger, name: string, n: number, offset: number): bigint {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) run.logScalar(name, (offset + i) * 0.001);
  return process.hrtime.bigint() - start;
}

/**
 * Bytes per call on the JS heap (garbage: should be 0) and outside it
 * (the typed arrays that hold the points: 3 doubles a point, amortised
 * doubling), for a metric that has never been logged (so growth counts).
 */
async function allocationProbe(run: Logger) {
  // Warm the probe's own call site on another fresh metric first.
  timedLoop(run, 'probe.warmup', PROBE_CALLS, 0);
  collect!();
  await new Promise((resolve) => setImmediate(resolve));
  const profiler = new GCProfiler();
  profiler.start();
  const before = process.memoryUsage();
  timedLoop(run, 'probe', PROBE_CALLS, 0);
  const after = process.memoryUsage();
  const collections = profiler.stop()?.statistics.length ?? 0;
  return {
    calls: PROBE_CALLS,
    heapBytesPerCall: (after.heapUsed - before.heapUsed) / PROBE_CALLS,
    bufferBytesPerCall: (after.arrayBuffers - before.arrayBuffers) / PROBE_CALLS,
    /** A collection inside the probe would hide allocations: the heap figure is then a lower bound. */
    collectionsDuringProbe: collections,
  };
}

const run = await ex.run({ options: { beatInterval: 1 } });
emitResult({ calls, ...(run.result as object) });
