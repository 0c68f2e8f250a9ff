import { test } from 'node:test';
import assert from 'node:assert/strict';
import seedrandom from 'seedrandom';
import { Experiment } from '../../packages/core/src/experiment.js';
import type { Observer } from '../../packages/core/src/observer/observer.js';

/**
 * The library's own work that runs while main runs (heartbeats, metric
 * flushes, observers: the MongoDB driver's server selection and bson call
 * Math.random) must not draw from the seeded stream. This observer draws on
 * every event, as such a driver would; main must still see exactly
 * seedrandom(String(seed)). The heartbeat starts before main, so its timers
 * live outside the seeded context (seeding.ts) without any wrapping.
 */
const drawingObserver: Observer = {
  name: 'DrawingObserver',
  started: () => void Math.random(),
  heartbeat: () => void [Math.random(), Math.random()],
  logMetrics: () => void Math.random(),
  completed: () => void Math.random(),
};

test('a run with fast heartbeats and an observer that calls Math.random: main sees exactly the seeded stream', async () => {
  const ex = new Experiment('seeded-isolation').config({ steps: 40 });
  ex.observe(drawingObserver);
  ex.main(async ({ config, run }) => {
    const draws: number[] = [];
    for (let i = 0; i < config.steps; i++) {
      draws.push(Math.random());
      run.logScalar('step', i);
      // Let heartbeats (every 5 ms) fire between draws.
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    return draws;
  });
  const run = await ex.run({ configUpdates: { seed: 123 }, options: { beatInterval: 0.005 } });
  const reference = seedrandom('123');
  assert.deepEqual(
    run.result,
    Array.from({ length: 40 }, () => reference()),
  );
});
