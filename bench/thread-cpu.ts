/**
 * CPU per thread of one seeded MNIST training (training-overhead.ts's
 * config), per arm, from /proc/self/task/<tid>/stat (utime + stime, Linux
 * only): the main thread apart from all others (TensorFlow's pool on
 * tfjs-node, libuv's and V8's workers). CPU time is far less disturbed by
 * other jobs than wall time, and it shows on which threads a cost lands.
 *
 * Arms, in alternating order each round:
 *   bare           model.fit alone
 *   tfjs-turns     a no-op batch callback that lets tfjs turn the event loop
 *                  every 125 ms (tfjs's default; ritual's callback before it
 *                  brought its own nextFrameFunc)
 *   callback       ritual's callback into a sink that drops the values
 *   run            a whole ritual run (file observer, 1 s heartbeat, capture,
 *                  system sampling), start and end included
 *
 *   node --conditions=@ritual/source --import tsx bench/thread-cpu.ts [backend] [rounds]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Experiment, type TfjsCallback, createTfjsCallback } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import { loadTfjs } from '../examples/mnist/backend.js';
import { trainMnist } from '../examples/mnist/training.js';
import { DEFAULT_TRAINING, trainFromSeed } from './training-overhead.js';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface ThreadCpu {
  mainMs: number;
  otherMs: number;
}

function threadCpu(): ThreadCpu {
  const cpu = { mainMs: 0, otherMs: 0 };
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // Fields after the command name (which may hold spaces): state is 0, utime 11, stime 12.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
    if (tid === String(process.pid)) cpu.mainMs += ms;
    else cpu.otherMs += ms;
  }
  return cpu;
}

const { tf, backend } = await loadTfjs(process.argv[2] ?? 'tfjs-node');
const rounds = Number(process.argv[3] ?? 4);
const training = DEFAULT_TRAINING;
const seed = 1234;
const runsDir = await mkdtemp(join(tmpdir(), 'ritual-bench-thread-cpu-'));

const ex = new Experiment('thread-cpu').config(training as unknown as Record<string, unknown>);
ex.observe(new FileStorageObserver(runsDir));
ex.main(async ({ run }) => {
  const result = await trainMnist(tf, training, [createTfjsCallback(run, { every: 'batch', progress: false })]);
  result.model.dispose();
  return result.testAcc;
});

const seeded = (callbacks: () => TfjsCallback[]) => () => trainFromSeed(tf, training, seed, callbacks());
const dropped = { logScalar() {} };
const ARMS: Record<string, () => Promise<unknown>> = {
  bare: seeded(() => []),
  'tfjs-turns': seeded(() => {
    const callback = createTfjsCallback(dropped, { every: 'batch', progress: false });
    delete callback.nextFrameFunc;
    return [callback];
  }),
  callback: seeded(() => [createTfjsCallback(dropped, { every: 'batch', progress: false })]),
  run: () => ex.run({ configUpdates: { seed }, options: { beatInterval: 1 } }),
};
const names = Object.keys(ARMS);
const totals = new Map(names.map((name) => [name, { mainMs: 0, otherMs: 0 }]));
try {
  for (const name of names) await ARMS[name]!(); // warm-up
  for (let round = 0; round < rounds; ++round) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const before = threadCpu();
      await ARMS[name]!();
      const after = threadCpu();
      const total = totals.get(name)!;
      total.mainMs += after.mainMs - before.mainMs;
      total.otherMs += after.otherMs - before.otherMs;
    }
  }
} finally {
  await rm(runsDir, { recursive: true, force: true });
}
console.log(`CPU per training by thread, ${backend} backend, mean of ${rounds} rounds (ms): main / other threads`);
for (const [name, total] of totals) {
  console.log(
    `  ${name.padEnd(12)} ${(total.mainMs / rounds).toFixed(0).padStart(6)} / ${(total.otherMs / rounds).toFixed(0)}`,
  );
}
