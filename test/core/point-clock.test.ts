import assert from 'node:assert/strict';
import test from 'node:test';
import { PointClock } from '../../packages/core/src/point-clock.js';

const realNow = Date.now;

function withWallClockShiftedBy(ms: number, body: () => void): void {
  Date.now = () => realNow() + ms;
  try {
    body();
  } finally {
    Date.now = realNow;
  }
}

test('agrees with Date.now() to the millisecond and never runs ahead of it', () => {
  const clock = new PointClock();
  for (let i = 0; i < 10_000; i++) {
    const before = Date.now();
    const t = clock.now();
    const after = Date.now();
    assert.ok(Number.isInteger(t));
    assert.ok(t >= before - 1 && t <= after, `${t} not within [${before - 1}, ${after}]`);
    if (i % 1000 === 0) clock.sync();
  }
});

test('sync follows the wall clock being set forwards or backwards', () => {
  const clock = new PointClock();
  withWallClockShiftedBy(60_000, () => {
    clock.sync();
    assert.ok(Math.abs(clock.now() - Date.now()) <= 1);
  });
  assert.ok(clock.now() >= realNow() + 59_998, 'without a sync the clock keeps the offset it learned');
  clock.sync();
  assert.ok(Math.abs(clock.now() - realNow()) <= 1, 'a step back is followed too');
});
