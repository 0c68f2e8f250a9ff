import assert from 'node:assert/strict';
import test, { mock } from 'node:test';
import { Heartbeat } from '../../packages/core/src/run/heartbeat.js';

/** Let the promise callbacks of a finished beat run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test('beats are due one interval after the previous one started, never overlap, and a late one waits a quarter interval', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  let now = 0;
  const starts: number[] = [];
  let finishBeat: () => void = () => undefined;
  const heartbeat = new Heartbeat(
    1000,
    () => {
      starts.push(now);
      return new Promise<void>((resolve) => (finishBeat = resolve));
    },
    () => now,
  );
  const advance = async (ms: number) => {
    now += ms;
    mock.timers.tick(ms);
    await settle();
  };
  heartbeat.start();
  await advance(1000);
  assert.deepEqual(starts, [1000]);
  // A flush of 700 ms: the next beat is still due at 2000, not at 2700.
  await advance(700);
  finishBeat();
  await settle();
  await advance(299);
  assert.deepEqual(starts, [1000]);
  await advance(1);
  assert.deepEqual(starts, [1000, 2000]);
  // A beat slower than the interval: no second beat while it runs, then a quarter interval's rest.
  await advance(1500);
  assert.deepEqual(starts, [1000, 2000]);
  finishBeat();
  await settle();
  await advance(249);
  assert.deepEqual(starts, [1000, 2000]);
  await advance(1);
  assert.deepEqual(starts, [1000, 2000, 3750]);
  finishBeat();
  await settle();
  await heartbeat.stop();
  await advance(5000);
  assert.deepEqual(starts, [1000, 2000, 3750], 'no beat after stop');
});
