import assert from 'node:assert/strict';
import test from 'node:test';
import { PointClock } from '../../packages/core/src/run/point-clock.js';

const realNow = Date.now;

function withWallClockShiftedBy(ms: number, body: () => void): void {
  Date.now = () => realNow() + ms;
  try {
    body();
  } finally {
    Date.now = realNow;
  }
}

/**
 * Reads `clock.now()` between two `Date.now()` reads, a few times, and keeps
 * the tightest bracket: on a loaded machine any read can be delayed by a
 * preemption, which widens the bracket but cannot move the clock out of it.
 */
function bracketedRead(clock: PointClock): { before: number; t: number; after: number } {
  let best = { before: 0, t: 0, after: Infinity };
  for (let i = 0; i < 20 && best.after - best.before > 1; i++) {
    const before = Date.now();
    const t = clock.now();
    const after = Date.now();
    if (after - before < best.after - best.before) best = { before, t, after };
  }
  return best;
}

test('agrees with Date.now() to the millisecond and never runs ahead of it', () => {
  const clock = new PointClock();
  for (let i = 0; i < 10_000; i++) {
    // Never ahead holds for every read, however late the reads come.
    const t = clock.now();
    const after = Date.now();
    assert.ok(Number.isInteger(t));
    assert.ok(t <= after, `${t} is ahead of Date.now() ${after}`);
    if (i % 1000 === 0) {
      clock.sync();
      // Not behind: within 1 ms (Date.now() is floored) of the tightest bracket around a read.
      const { before, t: read, after: end } = bracketedRead(clock);
      assert.ok(read >= before - 1 && read <= end, `${read} not within [${before - 1}, ${end}]`);
    }
  }
});

test('a sync descheduled between its clock reads does not skew the clock', () => {
  // The failure seen under load: 15 ms passed between reading Date.now() and the monotonic clock.
  let delayed = 0;
  Date.now = () => {
    const wall = realNow();
    if (delayed++ < 3) {
      const until = performance.now() + 15;
      while (performance.now() < until);
    }
    return wall;
  };
  let clock: PointClock;
  try {
    clock = new PointClock();
    clock.sync();
  } finally {
    Date.now = realNow;
  }
  const { before, t, after } = bracketedRead(clock);
  assert.ok(
    t >= before - 1 && t <= after,
    `${t} not within [${before - 1}, ${after}]: the clock learned a skewed offset`,
  );
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
