/**
 * Where ritual's per-batch cost in a tfjs training goes, piece by piece, each
 * measured in isolation on the main thread and expressed in us per batch of
 * the training benchmark (training-overhead.ts's config on the chosen
 * backend). Attribution only: the claim is the ratio training-overhead.ts
 * measures. Whole-training arms cannot attribute on this machine: with other
 * jobs on both cores, identical trainings vary by +-50 % (measured: net times
 * of the same seeded training 1.4-4.0 s in one process), far above costs of
 * tens of us.
 *
 * Pieces (a loop of many calls each, median of 5 repetitions):
 * - tfjs batch logs: what tfjs itself charges when any callback asks for batch
 *   logs (it reads loss and accuracy back from the backend and awaits the
 *   callback), a CustomCallback with an onBatchEnd against one without;
 * - callback: ritual's onBatchEnd logging `batch.loss` and `batch.acc` into a run;
 * - progress bar: the same with the bar on (a TTY stream), against without;
 * - output capture: one progress redraw written to stdout under `-C sys`,
 *   times the redraws per batch (the bar redraws at most every 100 ms);
 * - seeded Math.random: the seeded generator inside a run against a bare
 *   seedrandom, times the draws per batch (fit's shuffle draws one per sample);
 * - async context: the AsyncLocalStorage that keeps the seeded stream to main
 *   makes every promise pay Node's promise hooks, times the promises per
 *   batch (counted in a real fit);
 * - heartbeat: main-thread CPU of a run whose main only logs the training's
 *   points at its rate, beating every 1 s, against the same with no beat
 *   during it, per batch.
 *
 *   node --conditions=@ritual/source --import tsx bench/per-batch-cost.ts [backend]
 */
import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import seedrandom from 'seedrandom';
import { Experiment, type Run, createTfjsCallback } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import { loadTfjs } from '../examples/mnist/backend.js';
import { trainMnist } from '../examples/mnist/training.js';
import { median } from './statistics.js';
import { readThreadClock, threadClockSince } from './thread-clock.js';
import { DEFAULT_TRAINING, batchesOf } from './training-overhead.js';

const CALLS = 50_000;
const REPEATS = 5;

/** Median over repetitions of the time per call (us) of `fn(i)` run `calls` times. */
async function perCall(fn: (i: number) => unknown, calls = CALLS): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < REPEATS; ++r) {
    const t0 = performance.now();
    for (let i = 0; i < calls; ++i) {
      const result = fn(i);
      if (result instanceof Promise) await result;
    }
    times.push(((performance.now() - t0) * 1000) / calls);
  }
  return median(times);
}

const { tf, backend } = await loadTfjs(process.argv[2] ?? 'wasm');
const training = DEFAULT_TRAINING;
const batches = batchesOf(training);
const trainSamples = Math.floor(training.trainSize * (1 - training.validationSplit));

// A real training, once, for the counts the pieces are multiplied by: batches per second and promises per batch.
let promises = 0;
const counter = createHook({
  init(_id, type) {
    if (type === 'PROMISE') promises++;
  },
});
const logged = { logScalar() {} };
await trainMnist(tf, training, [createTfjsCallback(logged, { every: 'batch', progress: false })]); // warm-up
counter.enable();
const t0 = performance.now();
const trained = await trainMnist(tf, training, [createTfjsCallback(logged, { every: 'batch', progress: false })]);
const trainingMs = performance.now() - t0;
counter.disable();
trained.model.dispose();
const promisesPerBatch = promises / batches;
const batchMs = trainingMs / batches;

const rows: Array<[string, number, string]> = [];

// tfjs batch logs: the price of asking for them at all.
{
  const asks = new tf.CustomCallback({ onBatchEnd: () => {} });
  const none = new tf.CustomCallback({});
  const logs = () => ({ batch: 0, size: 64, loss: tf.scalar(0.5), acc: tf.scalar(0.9) });
  const dispose = (l: Record<string, unknown>) => {
    for (const v of Object.values(l)) if (typeof v !== 'number') (v as { dispose(): void }).dispose();
  };
  const withLogs = await perCall(async (i) => {
    const l = logs();
    await asks.onBatchEnd(i, l);
    dispose(l);
  }, 10_000);
  const without = await perCall(async (i) => {
    const l = logs();
    await none.onBatchEnd(i, l);
    dispose(l);
  }, 10_000);
  rows.push(['tfjs batch logs', withLogs - without, 'read loss + acc from the backend, await the hook']);
}

// Async context: promise churn inside an AsyncLocalStorage context against outside any. Before any run: once a
// run has entered its context, Node's promise hooks stay on for every promise of the process.
const leaf = async () => 1;
const chain = async () => {
  await leaf();
  await leaf();
};
const outside = await perCall(chain, 100_000);
const als = new AsyncLocalStorage<symbol>();
const inside = await als.run(Symbol('run'), () => perCall(chain, 100_000));
rows.push([
  'async context',
  ((inside - outside) / 3) * promisesPerBatch,
  `${((inside - outside) / 3).toFixed(3)} us per promise x ${promisesPerBatch.toFixed(0)} promises per batch`,
]);

// Everything that needs a live run: one run whose main measures the pieces in turn.
const runsDir = await mkdtemp(join(tmpdir(), 'ritual-bench-per-batch-'));
const ttyStream = { isTTY: true, columns: 120, write: () => true };
const pointsPerBeat = Math.round((1000 / batchMs) * 2);
try {
  const ex = new Experiment('per-batch-cost');
  ex.observe(new FileStorageObserver(runsDir));
  ex.main(async ({ run }) => {
    const numeric = { batch: 0, size: 64, loss: 0.5, acc: 0.9 };
    const plain = createTfjsCallback(run, { every: 'batch', progress: false });
    const barred = createTfjsCallback(run, { every: 'batch', progress: true, stream: ttyStream });
    barred.onEpochBegin?.call({ params: { epochs: 2, steps: batches / 2 } }, 0);
    const callback = await perCall((i) => plain.onBatchEnd!.call(undefined, i, numeric));
    const withBar = await perCall((i) => barred.onBatchEnd!.call(undefined, i, numeric));
    rows.push(['callback', callback, 'batch.loss + batch.acc into the run (logScalar x2)']);
    rows.push(['progress bar', withBar - callback, 'time check per batch; a redraw at most every 100 ms']);

    const seededDraw = await perCall(() => Math.random(), 1_000_000);
    const bare = seedrandom('1');
    const bareDraw = await perCall(() => bare(), 1_000_000);
    const drawsPerBatch = trainSamples / (batches / training.epochs);
    rows.push([
      'seeded Math.random',
      (seededDraw - bareDraw) * drawsPerBatch,
      `${(seededDraw - bareDraw).toFixed(3)} us per draw x ${drawsPerBatch.toFixed(0)} draws (shuffle)`,
    ]);
    return null;
  });
  await ex.run({ options: { capture: 'no', systemInterval: 0 } });

  // Output capture: one progress redraw under -C sys against -C no. stdout's own write is a null sink
  // meanwhile (installed before the run, so -C sys wraps it): the terminal's cost is not ritual's.
  const redraw = `\repoch 1/2 [########------------]  23/57  ETA 1.2s  loss 0.2345${' '.repeat(20)}`;
  const redrawCost = async (capture: 'no' | 'sys') => {
    let cost = 0;
    const measured = new Experiment('per-batch-capture');
    measured.observe(new FileStorageObserver(runsDir));
    measured.main(async () => {
      cost = await perCall(() => process.stdout.write(redraw), 20_000);
      return null;
    });
    const terminal = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await measured.run({ options: { capture, systemInterval: 0 } });
    } finally {
      process.stdout.write = terminal;
    }
    return cost;
  };
  const captured = await redrawCost('sys');
  const uncaptured = await redrawCost('no');
  const redrawsPerBatch = Math.min(1, batchMs / 100);
  rows.push([
    'output capture',
    (captured - uncaptured) * redrawsPerBatch,
    `${(captured - uncaptured).toFixed(2)} us per redraw x ${redrawsPerBatch.toFixed(2)} redraws per batch`,
  ]);

  // Heartbeat: main-thread CPU of 10 s of the training's logging rate, beats every 1 s against none.
  const beatCost = async (beatInterval: number) => {
    const ex2 = new Experiment('per-batch-beat');
    ex2.observe(new FileStorageObserver(runsDir));
    let cpuMs = 0;
    ex2.main(async ({ run }: { run: Run }) => {
      const start = readThreadClock();
      const until = performance.now() + 10_000;
      let step = 0;
      while (performance.now() < until) {
        for (let i = 0; i < pointsPerBeat / 20; ++i, ++step) run.logScalar('batch.loss', 0.5, step);
        await sleep(50);
      }
      cpuMs = threadClockSince(start)?.cpuMs ?? Number.NaN;
      return null;
    });
    await ex2.run({ options: { beatInterval, capture: 'no', systemInterval: 0 } });
    return cpuMs;
  };
  const beats: number[] = [];
  for (let r = 0; r < 3; ++r) beats.push((await beatCost(1)) - (await beatCost(1000)));
  const perBeatMs = median(beats) / 10;
  rows.push([
    'heartbeat (1 s)',
    (perBeatMs * 1000 * batchMs) / 1000,
    `${perBeatMs.toFixed(2)} ms main-thread CPU per beat of ${pointsPerBeat} points, one beat per ${(1000 / batchMs).toFixed(0)} batches`,
  ]);
} finally {
  await rm(runsDir, { recursive: true, force: true });
}

console.log(
  `per-batch cost of ritual's pieces, ${backend} backend: a batch takes ${(batchMs * 1000).toFixed(0)} us ` +
    `(${batches} batches in ${(trainingMs / 1000).toFixed(2)} s); 1 % of a batch is ${(batchMs * 10).toFixed(0)} us`,
);
let total = 0;
for (const [piece, us, how] of rows) {
  total += us;
  console.log(`  ${piece.padEnd(20)} ${us.toFixed(1).padStart(7)} us   ${how}`);
}
console.log(
  `  ${'total'.padEnd(20)} ${total.toFixed(1).padStart(7)} us   = ${((total / (batchMs * 1000)) * 100).toFixed(2)} % of a batch`,
);
