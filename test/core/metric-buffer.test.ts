import assert from 'node:assert/strict';
import test from 'node:test';
import { MetricBuffer } from '../../packages/core/src/run/metric-buffer.js';

test('steps auto-increment per metric and explicit steps set the next one', () => {
  const buffer = new MetricBuffer();
  buffer.log('loss', 1);
  buffer.log('loss', 0.5);
  buffer.log('acc', 0.1, 10);
  buffer.log('acc', 0.2);
  buffer.log('loss', 0.25, 100);
  buffer.log('loss', 0.125);
  const drained = buffer.drain();
  assert.deepEqual(
    drained.map((s) => [s.name, s.steps, s.values]),
    [
      ['loss', [0, 1, 100, 101], [1, 0.5, 0.25, 0.125]],
      ['acc', [10, 11], [0.1, 0.2]],
    ],
  );
  for (const series of drained) assert.equal(series.timestamps.length, series.values.length);
});

test('a drain hands over only new points; steps continue across drains', () => {
  const buffer = new MetricBuffer();
  buffer.log('loss', 1);
  assert.equal(buffer.drain().length, 1);
  assert.equal(buffer.hasPending, false);
  assert.deepEqual(buffer.drain(), []);
  buffer.log('loss', 2);
  const [series] = buffer.drain();
  assert.deepEqual(series?.steps, [1]);
  assert.deepEqual(series?.values, [2]);
});

test('grows past its initial capacity without losing points; NaN and Infinity are kept', () => {
  const buffer = new MetricBuffer();
  const n = 5000;
  for (let i = 0; i < n; i++) buffer.log('x', i === 7 ? Number.NaN : i === 8 ? Infinity : i);
  const [series] = buffer.drain();
  assert.equal(series?.values.length, n);
  assert.equal(series?.values[n - 1], n - 1);
  assert.ok(Number.isNaN(series?.values[7]));
  assert.equal(series?.values[8], Infinity);
  assert.equal(series?.steps[n - 1], n - 1);
});

test('every point reads the clock: whole epoch milliseconds, in order, and a slow loop gets its real times', () => {
  const buffer = new MetricBuffer();
  const before = Date.now();
  for (let i = 0; i < 1000; i++) buffer.log('fast', i);
  buffer.log('slow', 0);
  const pause = Date.now() + 5;
  while (Date.now() < pause) {
    // a training step between two logs
  }
  buffer.log('slow', 1);
  const after = Date.now();
  const [fast, slow] = buffer.drain();
  for (const t of fast!.timestamps) {
    assert.ok(Number.isInteger(t) && t >= before - 1 && t <= after, `timestamp ${t} outside [${before}, ${after}]`);
  }
  for (let i = 1; i < fast!.timestamps.length; i++) assert.ok(fast!.timestamps[i]! >= fast!.timestamps[i - 1]!);
  const [first, second] = slow!.timestamps;
  assert.ok(second! - first! >= 4, `the point after a 5 ms pause is stamped ${second! - first!} ms later`);
});

test('a point logged with its own time keeps it (whole ms); sources are pulled on request, and one that fails is skipped', () => {
  const buffer = new MetricBuffer();
  buffer.log('batch.loss', 0.5, 3, 1_795_000_000_123.7);
  buffer.log('batch.loss', 0.25);
  let held: Array<[number, number]> = [
    [0.125, 1_795_000_000_200],
    [0.0625, 1_795_000_000_300],
  ];
  const stop = buffer.addSource(() => {
    for (const [value, time] of held) buffer.log('held', value, undefined, time);
    held = [];
  });
  buffer.addSource(() => {
    throw new Error('backend gone');
  });
  buffer.pullSources();
  const [loss, fromSource] = buffer.drain();
  assert.deepEqual(loss?.timestamps[0], 1_795_000_000_123);
  assert.ok(Math.abs(loss!.timestamps[1]! - Date.now()) < 1000, 'no time given: now');
  assert.deepEqual(fromSource?.values, [0.125, 0.0625]);
  assert.deepEqual(fromSource?.timestamps, [1_795_000_000_200, 1_795_000_000_300]);
  stop();
  held = [[1, 1]];
  buffer.pullSources();
  assert.equal(buffer.hasPending, false, 'a removed source is not pulled');
});
