// Pure pieces of the ritual command: value formatting, colour choice,
// STORE/ID positional parsing, run status and metric summaries.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '@ritual/core';
import { createContext } from '../../packages/cli/src/context.js';
import { flattenPaths, sameValue } from '../../packages/cli/src/config-paths.js';
import { valueAtPath } from '../../packages/observers/src/document-path.js';
import { formatNumber, formatRunDuration, formatValue } from '../../packages/cli/src/format.js';
import { displayStatus, durationMs, summarizeMetric } from '../../packages/cli/src/run-summary.js';
import { parseRunId, splitStore } from '../../packages/cli/src/store-argument.js';

describe('formatting', () => {
  it("durations: core's one formatter, `-` when unknown", () => {
    assert.deepEqual([0, 850, 1000, 31_500, 60_000, 105_500, 3_600_000, 7_380_000].map(formatRunDuration), [
      '0.0s',
      '0.9s',
      '1.0s',
      '31.5s',
      '1m00s',
      '1m46s',
      '1h00m',
      '2h03m',
    ]);
    assert.equal(formatRunDuration(null), '-');
  });

  it('numbers: at most 6 significant digits, exponents for tiny and huge', () => {
    assert.deepEqual(
      [0.9731, 0.1 + 0.2, 1 / 3, 12345, 2.5e12, 1e-5, 2.5e20, 1.5e9 + 0.5, -0.5, Number.NaN].map(formatNumber),
      ['0.9731', '0.3', '0.333333', '12345', '2500000000000', '1e-5', '2.5e+20', '1.5e+9', '-0.5', 'NaN'],
    );
  });

  it('values: one short line', () => {
    assert.equal(formatValue(undefined), '-');
    assert.equal(formatValue(null), 'null');
    assert.equal(formatValue('a\nb'), 'a b');
    assert.equal(formatValue({ a: [1, 2] }), '{"a":[1,2]}');
    assert.equal(formatValue('x'.repeat(50), 10), `${'x'.repeat(9)}…`);
    assert.equal(formatValue(new Date('2026-11-27T10:42:18.123Z')), '2026-11-27 10:42:18');
  });
});

describe('colours', () => {
  const sink = { write: () => true };
  it('on for a TTY, off with NO_COLOR, off when not a TTY, forced by the caller', () => {
    const paint = (io: Parameters<typeof createContext>[0]): string => createContext(io, false).colors.red('x');
    assert.equal(paint({ stdout: { ...sink, isTTY: true }, stderr: sink, env: {} }), '\x1b[31mx\x1b[39m');
    assert.equal(paint({ stdout: { ...sink, isTTY: true }, stderr: sink, env: { NO_COLOR: '1' } }), 'x');
    assert.equal(paint({ stdout: { ...sink, isTTY: true }, stderr: sink, env: { TERM: 'dumb' } }), 'x');
    assert.equal(paint({ stdout: sink, stderr: sink, env: {} }), 'x');
    assert.equal(paint({ stdout: sink, stderr: sink, env: { NO_COLOR: '1' }, color: true }), '\x1b[31mx\x1b[39m');
  });
});

describe('STORE and ID positionals', () => {
  it('fixed-arity commands: one positional more than needed is the store', () => {
    assert.deepEqual(splitStore(['3'], { fixed: 1, usage: 'ID' }), { location: 'runs', rest: ['3'] });
    assert.deepEqual(splitStore(['my-runs', '3'], { fixed: 1, usage: 'ID' }), { location: 'my-runs', rest: ['3'] });
    assert.deepEqual(splitStore(['mongodb://h/db', '3', 'loss'], { fixed: 2, usage: 'ID NAME' }), {
      location: 'mongodb://h/db',
      rest: ['3', 'loss'],
    });
    assert.throws(
      () => splitStore([], { fixed: 1, usage: '[STORE] ID' }),
      (e: unknown) => e instanceof UsageError && /Expected \[STORE\] ID, got nothing/.test(e.message),
    );
    assert.throws(() => splitStore(['a', 'b', 'c'], { fixed: 1, usage: 'ID' }), UsageError);
  });

  it('variadic compare: the first word is a store only when it looks like one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ritual-split-'));
    try {
      const shape = { atLeast: 2, usage: 'ID ID' };
      assert.deepEqual(splitStore(['1', '2', '3'], shape), { location: 'runs', rest: ['1', '2', '3'] });
      assert.deepEqual(splitStore([dir, '1', '2'], shape), { location: dir, rest: ['1', '2'] });
      assert.deepEqual(splitStore(['./elsewhere', '1', '2'], shape), { location: './elsewhere', rest: ['1', '2'] });
      assert.deepEqual(splitStore(['mongodb://h/db', '1', '2'], shape), {
        location: 'mongodb://h/db',
        rest: ['1', '2'],
      });
      // string run ids are ids, not stores, when no such folder exists
      assert.deepEqual(splitStore(['baseline', 'tuned'], shape), { location: 'runs', rest: ['baseline', 'tuned'] });
      // a store with too few ids is refused
      assert.throws(() => splitStore(['mongodb://h/db', '1'], shape), UsageError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('run ids: numbers when numeric, strings otherwise', () => {
    assert.equal(parseRunId('12'), 12);
    assert.equal(parseRunId('baseline'), 'baseline');
    assert.throws(() => parseRunId(' '), UsageError);
  });
});

describe('run summaries', () => {
  const base = { start_time: new Date('2026-11-27T10:00:00Z'), stop_time: null };
  const now = new Date('2026-11-27T10:10:00Z');
  it('RUNNING? after 2 minutes without a heartbeat; the clock decides', () => {
    assert.equal(
      displayStatus({ ...base, status: 'RUNNING', heartbeat: new Date('2026-11-27T10:08:30Z') }, now),
      'RUNNING',
    );
    assert.equal(
      displayStatus({ ...base, status: 'RUNNING', heartbeat: new Date('2026-11-27T10:07:59Z') }, now),
      'RUNNING?',
    );
    // no heartbeat yet: judged from the start time
    assert.equal(displayStatus({ ...base, status: 'RUNNING', heartbeat: null }, now), 'RUNNING?');
    assert.equal(
      displayStatus({ ...base, status: 'COMPLETED', heartbeat: new Date('2026-11-27T10:01:00Z') }, now),
      'COMPLETED',
    );
  });

  it('durations: to stop, to now while alive, to the last beat when dead', () => {
    assert.equal(
      durationMs({ ...base, status: 'COMPLETED', heartbeat: null, stop_time: new Date('2026-11-27T10:01:00Z') }, now),
      60_000,
    );
    assert.equal(durationMs({ ...base, status: 'RUNNING', heartbeat: new Date('2026-11-27T10:09:00Z') }, now), 600_000);
    assert.equal(durationMs({ ...base, status: 'RUNNING', heartbeat: new Date('2026-11-27T10:05:00Z') }, now), 300_000);
    assert.equal(durationMs({ ...base, start_time: null, status: 'QUEUED', heartbeat: null }, now), null);
  });

  it('metric summary: last/min/max/count, NaN counted but not a min or max', () => {
    assert.deepEqual(
      summarizeMetric({ name: 'loss', steps: [0, 1, 2, 3], values: [2, Number.NaN, 0.5, 1], timestamps: [0, 0, 0, 0] }),
      {
        name: 'loss',
        count: 4,
        last: 1,
        lastStep: 3,
        min: 0.5,
        max: 2,
      },
    );
    assert.deepEqual(summarizeMetric({ name: 'e', steps: [], values: [], timestamps: [] }), {
      name: 'e',
      count: 0,
      last: null,
      lastStep: null,
      min: null,
      max: null,
    });
  });
});

describe('config paths', () => {
  it('flattens to dotted leaves, arrays and empty objects as leaves', () => {
    assert.deepEqual(
      [...flattenPaths({ a: 1, m: { h: 2, l: [1, 2], e: {} } })],
      [
        ['a', 1],
        ['m.h', 2],
        ['m.l', [1, 2]],
        ['m.e', {}],
      ],
    );
    assert.equal(valueAtPath({ config: { model: { layers: [8, 4] } } }, 'config.model.layers.1'), 4);
    assert.equal(valueAtPath({ config: {} }, 'config.x.y'), undefined);
    assert.ok(sameValue({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }));
    assert.ok(!sameValue([1, 2], { 0: 1, 1: 2 }));
  });
});
