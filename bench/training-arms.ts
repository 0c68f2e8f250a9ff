/**
 * Which part of a ritual run costs a tfjs training what training-overhead.ts
 * measures: the same seeded MNIST training (that bench's config) in several
 * arms that each add one piece, in one process, in a rotating order (each
 * round shifts the order by one; every other cycle reverses it), so that each
 * arm follows and precedes each other one equally often. Each arm is
 * compared with the first named, within each round: the median of the
 * rounds' ratios of wall time, of the process's CPU time, and of the main
 * thread's CPU time (Linux schedstat), each with its 95 % interval
 * (statistics.ts). Attribution only, on a shared machine: a difference
 * below ~2 % needs 30 rounds or more.
 *
 * Arms:
 *   bare          model.fit alone, the run's Math.random stream installed by hand
 *   callback      + ritual's batch callback (plain-object form) into a sink that drops every value, no run
 *   held          the same in its tf.Callback form (given tf: batch values held, read back once a second)
 *   unseeded      the same inside runUnseeded (an async context like a run's)
 *   seeded        the callback arm with the run's own seeded Math.random (Seeding.installGlobalRandom), no run
 *   run-no-cb     a whole run (file observer, 1 s beats, capture, sampler) whose fit has no callback
 *   run           a whole run with ritual's batch callback given tf, as training-overhead.ts runs it
 *   run-plain     the same with the plain-object callback (tfjs reads every batch's values back)
 *   run-drop      a whole run whose batch callback drops every value
 *   run-no-beat   a whole run, beats every 100 s (none during fit)
 *   run-no-system a whole run without the system sampler
 *   run-no-capture a whole run without output capture (`capture: 'no'`)
 *   run-quiet     a whole run with no timer due during fit: beats every 100 s, no system sampler
 *
 *   node --conditions=@ritual/source --import tsx bench/training-arms.ts [rounds] [arm,arm,...] [backend]
 *   e.g. bench/training-arms.ts 30 run-no-cb,run tfjs-node
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Experiment, createTfjsCallback, runUnseeded, type ScalarSink } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import { loadTfjs } from '../examples/mnist/backend.js';
import { trainMnist } from '../examples/mnist/training.js';
import { median, medianInterval } from './statistics.js';
import { readThreadClock } from './thread-clock.js';
import { DEFAULT_TRAINING, trainFromSeed } from './training-overhead.js';
import { Seeding } from '../packages/core/src/seeding.js';

const SEED = 1234;
const rounds = Number(process.argv[2] ?? 20);
const names = (process.argv[3] ?? 'bare,callback,run-no-cb,run').split(',');
const { tf } = await loadTfjs(process.argv[4] ?? 'tfjs-node');

const runsDir = await mkdtemp(join(tmpdir(), 'ritual-bench-arms-'));
const dropping: ScalarSink = { logScalar() {} };
/** Ritual's batch callback, the plain-object form (tfjs reads each batch back) unless `held` (given tf). */
const batchCallback = (sink: ScalarSink, held = false) =>
  held
    ? createTfjsCallback(sink, { every: 'batch', progress: false, tf })
    : createTfjsCallback(sink, { every: 'batch', progress: false });

/** What main does in the run arms: set by each arm before `ex.run()`. */
interface MainPlan {
  callback: boolean;
  drop: boolean;
  held?: boolean;
}
let inRun: MainPlan = { callback: true, drop: false, held: true };
const ex = new Experiment('training-arms').config(DEFAULT_TRAINING as unknown as Record<string, unknown>);
ex.observe(new FileStorageObserver(runsDir));
ex.main(async ({ run }) => {
  const callbacks = inRun.callback ? [batchCallback(inRun.drop ? dropping : run, inRun.held)] : [];
  const result = await trainMnist(tf, DEFAULT_TRAINING, callbacks);
  result.model.dispose();
  return result.testAcc;
});

const bare = (callbacks: () => ReturnType<typeof batchCallback>[]) =>
  trainFromSeed(tf, DEFAULT_TRAINING, SEED, callbacks());

function run(options: Record<string, number | string>, main: MainPlan = { callback: true, drop: false, held: true }) {
  return async () => {
    inRun = main;
    await ex.run({ configUpdates: { seed: SEED }, options: { beatInterval: 1, ...options } });
  };
}

const ARMS: Record<string, () => Promise<unknown>> = {
  bare: () => bare(() => []),
  callback: () => bare(() => [batchCallback(dropping)]),
  held: () => bare(() => [batchCallback(dropping, true)]),
  unseeded: () => runUnseeded(() => bare(() => [batchCallback(dropping)])),
  seeded: async () => {
    const restore = new Seeding(SEED).installGlobalRandom();
    try {
      (await trainMnist(tf, DEFAULT_TRAINING, [batchCallback(dropping)])).model.dispose();
    } finally {
      restore();
    }
  },
  'run-no-cb': run({}, { callback: false, drop: false }),
  run: run({}),
  'run-plain': run({}, { callback: true, drop: false }),
  'run-drop': run({}, { callback: true, drop: true, held: true }),
  'run-no-beat': run({ beatInterval: 100 }),
  'run-no-system': run({ systemInterval: 0 }),
  'run-no-capture': run({ capture: 'no' }),
  'run-quiet': run({ beatInterval: 100, systemInterval: 0 }),
};
for (const name of names) {
  if (!ARMS[name]) {
    console.error(`Unknown arm ${JSON.stringify(name)}; arms: ${Object.keys(ARMS).join(', ')}`);
    process.exit(2);
  }
}

interface Sample {
  wallMs: number;
  cpuMs: number;
  mainCpuMs: number;
}
const samples: Record<string, Sample[]> = Object.fromEntries(names.map((name) => [name, []]));

async function measure(name: string): Promise<Sample> {
  const main0 = readThreadClock();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await ARMS[name]!();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const main1 = readThreadClock();
  return {
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    mainCpuMs: main0 && main1 ? main1.cpuMs - main0.cpuMs : Number.NaN,
  };
}

try {
  for (const name of names) await ARMS[name]!(); // warm-up of each
  for (let round = 0; round < rounds; round++) {
    const shift = round % names.length;
    const order = [...names.slice(shift), ...names.slice(0, shift)];
    if (Math.floor(round / names.length) % 2 === 1) order.reverse();
    for (const name of order) samples[name]!.push(await measure(name));
    console.error(`  round ${round + 1}/${rounds}`);
  }
} finally {
  await rm(runsDir, { recursive: true, force: true });
}

const base = names[0]!;
const ratio = (name: string, field: keyof Sample): string => {
  const ratios = samples[name]!.map((sample, i) => sample[field] / samples[base]![i]![field]);
  const interval = medianInterval(ratios);
  const range = interval ? ` [${interval.low.toFixed(3)}-${interval.high.toFixed(3)}]` : '';
  return `${median(ratios).toFixed(3)}${range}`;
};
console.log(`${tf.getBackend()} backend, ${rounds} rounds, against ${base} (median ratio within rounds [95 % CI]):`);
for (const name of names.slice(1)) {
  console.log(
    `  ${name.padEnd(13)} wall ${ratio(name, 'wallMs')}  cpu ${ratio(name, 'cpuMs')}  main thread cpu ${ratio(name, 'mainCpuMs')}`,
  );
}
