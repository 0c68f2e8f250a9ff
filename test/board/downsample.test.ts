import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { downsample, indexBlocks, type SeriesArrays } from '../../packages/board/src/series-downsample.js';

function series(n: number, f: (i: number) => number): SeriesArrays {
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = i;
    y[i] = f(i);
  }
  return { x, y, sorted: true };
}

describe('downsampling a series to the pixels of a chart', () => {
  it('keeps at most 4 points per pixel column, and every kept point is a real point', () => {
    const s = series(1_000_000, (i) => Math.sin(i / 1000));
    const out = downsample(s, { width: 500 });
    assert.ok(out.x.length <= 2000, `${out.x.length} points`);
    assert.ok(out.x.length >= 1000);
    assert.equal(out.pointsInRange, 1_000_000);
    assert.deepEqual(out.extent, [0, 999_999]);
    for (const [k, x] of out.x.entries()) assert.equal(out.y[k], Math.sin(x / 1000));
    assert.equal(out.x[0], 0);
    assert.equal(out.x.at(-1), 999_999);
  });

  it('keeps a one-point spike and a one-point dip (min/max per bucket)', () => {
    const s = series(100_000, () => 1);
    (s.y as Float64Array)[31_337] = 50;
    (s.y as Float64Array)[77_777] = -50;
    const out = downsample(s, { width: 100 });
    assert.ok(out.x.includes(31_337));
    assert.ok(out.x.includes(77_777));
    assert.equal(Math.max(...out.y), 50);
    assert.equal(Math.min(...out.y), -50);
  });

  it('returns every point of a zoomed range that fits the width, and only those', () => {
    const s = series(1_000_000, (i) => i * 2);
    const out = downsample(s, { width: 800, from: 500_000, to: 500_099 });
    assert.deepEqual(
      out.x,
      Array.from({ length: 100 }, (_, k) => 500_000 + k),
    );
    assert.deepEqual(
      out.y,
      out.x.map((x) => x * 2),
    );
    assert.equal(out.pointsInRange, 100);
    assert.deepEqual(out.extent, [0, 999_999]);
  });

  it('handles x that goes back (a resumed run) by scanning instead of binary search', () => {
    const x = Float64Array.from([0, 1, 2, 3, 1, 2, 3, 4]);
    const y = Float64Array.from([10, 11, 12, 13, 21, 22, 23, 24]);
    const out = downsample({ x, y, sorted: false }, { width: 100, from: 2, to: 3 });
    assert.deepEqual(out.x, [2, 3, 2, 3]);
    assert.deepEqual(out.y, [12, 13, 22, 23]);
    assert.deepEqual(out.extent, [0, 4]);
  });

  it('gives the same points with the block index as by scanning every point (NaN gaps included)', () => {
    // a seeded generator of our own: the test must not depend on Math.random
    let state = 12345;
    const next = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    for (const n of [1000, 70_001, 300_000]) {
      const s = series(n, () => (next() < 0.01 ? Number.NaN : next() * 100 - 50));
      const indexed = { ...s, blocks: indexBlocks(s.y) };
      for (const request of [{ width: 7 }, { width: 500 }, { width: 123, from: n / 3, to: n / 2 + 17 }]) {
        assert.deepEqual(
          downsample(indexed, request),
          downsample(s, request),
          `${n} points, ${JSON.stringify(request)}`,
        );
      }
    }
  });

  it('answers an empty series with nothing', () => {
    const out = downsample({ x: new Float64Array(0), y: new Float64Array(0), sorted: true }, { width: 10 });
    assert.deepEqual(out, { x: [], y: [], pointsInRange: 0, extent: null });
  });
});
