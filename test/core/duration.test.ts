// The one duration formatter every printed duration goes through (completion
// line, console observer, progress bar, `ritual`): rounding happens once, so a
// value just under a unit boundary rounds up into the next unit, never to
// `60s` or `1m60s`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration } from '@ritual/core/observer-kit';

const S = 1000;

describe('formatDuration', () => {
  it('compact: tenths under a minute, then m/s, h/m, d/h', () => {
    const cases: [number, string][] = [
      [0, '0.0s'],
      [40, '0.0s'],
      [50, '0.1s'],
      [949, '0.9s'],
      [9_960, '10.0s'],
      [42 * S, '42.0s'],
      [59.6 * S, '59.6s'],
      [59.94 * S, '59.9s'],
      [59.96 * S, '1m00s'],
      [60 * S, '1m00s'],
      [65 * S, '1m05s'],
      [119.4 * S, '1m59s'],
      [119.6 * S, '2m00s'],
      [3599.4 * S, '59m59s'],
      [3599.6 * S, '1h00m'],
      [3600 * S, '1h00m'],
      [7_380 * S, '2h03m'],
      [(86_400 - 20) * S, '1d00h'],
      [86_400 * S + 4 * 3600 * S, '1d04h'],
    ];
    for (const [ms, expected] of cases) assert.equal(formatDuration(ms), expected, `${ms} ms`);
  });

  it("clock: h:mm:ss in whole seconds, like Sacred's completion line", () => {
    const cases: [number, string][] = [
      [0, '0:00:00'],
      [499, '0:00:00'],
      [500, '0:00:01'],
      [42 * S, '0:00:42'],
      [59.6 * S, '0:01:00'],
      [119.6 * S, '0:02:00'],
      [3599.6 * S, '1:00:00'],
      [(25 * 3600 + 61) * S, '25:01:01'],
    ];
    for (const [ms, expected] of cases) assert.equal(formatDuration(ms, 'clock'), expected, `${ms} ms`);
  });

  it('negative, NaN and infinite durations print as zero', () => {
    for (const ms of [-5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.equal(formatDuration(ms), '0.0s');
      assert.equal(formatDuration(ms, 'clock'), '0:00:00');
    }
  });
});
