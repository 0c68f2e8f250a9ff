// The confidence interval the benchmarks print beside a median ratio: the
// sign-test interval, whose order statistics and coverage are textbook values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, medianInterval } from '../../bench/statistics.js';

/** 1..n shuffled: the interval is read off the sorted values whatever their order. */
function shuffled(n: number): number[] {
  const values = Array.from({ length: n }, (_, i) => i + 1);
  for (let i = n - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return values;
}

test('the 95 % interval of a median is the k-th smallest to k-th largest value, k from the binomial(n, 1/2)', () => {
  // n: [k, achieved confidence], as tabulated for the sign test.
  const expected: Record<number, [number, number]> = {
    6: [1, 0.96875],
    10: [2, 0.978515625],
    20: [6, 0.9586105],
    24: [7, 0.9773442],
    30: [10, 0.9572261],
    40: [14, 0.9615227],
  };
  for (const [n, [k, confidence]] of Object.entries(expected).map(([n, v]) => [Number(n), v] as const)) {
    const interval = medianInterval(shuffled(n));
    assert.ok(interval, `n=${n}`);
    assert.equal(interval.low, k, `n=${n}: low`);
    assert.equal(interval.high, n + 1 - k, `n=${n}: high`);
    assert.ok(Math.abs(interval.confidence - confidence) < 1e-6, `n=${n}: confidence ${interval.confidence}`);
    assert.ok(interval.low <= median(shuffled(n)) && median(shuffled(n)) <= interval.high);
  }
  assert.equal(medianInterval([1, 2, 3, 4, 5]), null, 'five values cannot give 95 %');
  // A higher confidence asked for widens it.
  const wide = medianInterval(shuffled(40), 0.99)!;
  assert.ok(wide.low < 14 && wide.high > 27 && wide.confidence >= 0.99);
});
