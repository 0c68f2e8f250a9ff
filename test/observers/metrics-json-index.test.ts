// metrics.json read a metric at a time, a chunk at a time (metrics-json-index.ts): what the file store reads
// for a run that ended cleanly (its log is removed) and for runs Sacred wrote. Every point is checked against
// parsing the file whole, on the spellings Python's json.dump writes (bare NaN/Infinity, \u escapes).
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { MetricSeries } from '@ritual/core';
import { fromSacredTime, toSacredTime } from '@ritual/core/observer-kit';
import { FileRunStore } from '@ritual/observers';
import {
  CHUNK_POINTS,
  MetricsJsonIndex,
  MetricsJsonShapeError,
} from '../../packages/observers/src/file/metrics-json-index.js';
import { formatSacredJson, parseSacredJson } from '../../packages/observers/src/file/sacred-json.js';
import { tempDir } from './file-fixtures.js';

const T0 = 1_795_000_000_123;

async function collect(chunks: AsyncIterable<MetricSeries>): Promise<MetricSeries[]> {
  const all: MetricSeries[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
}

/**
 * A metrics.json in Python's spelling and the same data with no whitespace
 * at all, written side by side: every reader must index both alike. No name
 * or time string in these tests holds a newline, so dropping each newline
 * and its indent leaves the strings alone.
 */
async function bothSpellings(
  dir: string,
  pretty: string,
): Promise<Array<{ label: string; path: string; text: string }>> {
  const spellings = [
    { label: 'indented', text: pretty },
    { label: 'compact', text: pretty.replace(/\n\s*/g, '') },
  ];
  return Promise.all(
    spellings.map(async ({ label, text }) => {
      const path = join(dir, `${label}.json`);
      await writeFile(path, text);
      return { label, path, text };
    }),
  );
}

test('every point of every metric, in chunks of at most CHUNK_POINTS, as parsing the file whole gives', async () => {
  const dir = await tempDir();
  const n = 2 * CHUNK_POINTS + 17;
  const big = {
    steps: Array.from({ length: n }, (_, i) => i),
    timestamps: Array.from({ length: n }, (_, i) => toSacredTime(new Date(T0 + i))),
    values: Array.from({ length: n }, (_, i) => (i === 5 ? Number.NaN : i === 6 ? -Infinity : i / 3)),
  };
  const metrics = {
    'x "quoted" ü': big,
    empty: { steps: [], timestamps: [], values: [] },
    small: {
      steps: [3, 1e21],
      timestamps: [toSacredTime(new Date(T0)), toSacredTime(new Date(T0 + 1))],
      values: [1e-7, -0],
    },
  };
  // Python's spelling (indent 2, sorted keys, \u00fc, bare NaN), and the same data with no spaces at all.
  const pretty = formatSacredJson(metrics);
  assert.match(pretty, /\\u00fc/);
  assert.match(pretty, /\bNaN\b/);
  for (const { label, path } of await bothSpellings(dir, pretty)) {
    const index = (await MetricsJsonIndex.read(path))!;
    assert.deepEqual(index.names(), ['empty', 'small', 'x "quoted" ü'], label);
    const chunks = await collect(index.chunks('x "quoted" ü'));
    assert.deepEqual(
      chunks.map((chunk) => chunk.steps.length),
      [CHUNK_POINTS, CHUNK_POINTS, 17],
      label,
    );
    const values = chunks.flatMap((chunk) => chunk.values);
    const steps = chunks.flatMap((chunk) => chunk.steps);
    const times = chunks.flatMap((chunk) => chunk.timestamps);
    for (let i = 0; i < n; i++) {
      if (steps[i] !== i || !Object.is(values[i], big.values[i]) || times[i] !== T0 + i)
        assert.fail(`${label} point ${i}: step ${steps[i]}, value ${values[i]}, time ${times[i]}`);
    }
    assert.deepEqual(await collect(index.chunks('empty')), [], label);
    const [small] = await collect(index.chunks('small'));
    assert.deepEqual(
      [small!.steps, small!.values, small!.timestamps],
      [
        [3, 1e21],
        [1e-7, -0],
        [T0, T0 + 1],
      ],
      label,
    );
    assert.deepEqual(await collect(index.chunks('nope')), []);
  }
});

test('a metrics.json not shaped as Sacred writes it is refused by the index and read whole by the store', async () => {
  const dir = await tempDir();
  const odd = {
    loss: { steps: [0, 1], timestamps: [toSacredTime(new Date(T0)), toSacredTime(new Date(T0 + 1))], values: [1, 2] },
  };
  const extraKey = { loss: { ...odd.loss, unit: 'nats' } };
  await writeFile(join(dir, 'odd.json'), JSON.stringify(extraKey));
  await assert.rejects(MetricsJsonIndex.read(join(dir, 'odd.json')), MetricsJsonShapeError);
  assert.equal(await MetricsJsonIndex.read(join(dir, 'missing.json')), null);
  // Sacred's shape with items of the wrong type: an error that names the file and what to do, never wrong points.
  await writeFile(join(dir, 'strings.json'), JSON.stringify({ loss: { ...odd.loss, steps: ['0', '1'] } }));
  const strings = (await MetricsJsonIndex.read(join(dir, 'strings.json')))!;
  await assert.rejects(collect(strings.chunks('loss')), (error: Error) => {
    assert.equal(error.name, 'BackendError');
    assert.match(error.message, /strings\.json: metric "loss" has steps or values that are not numbers.*fix or remove/);
    return true;
  });

  // A run folder with that metrics.json and no log: the store still returns its points.
  const runs = join(dir, 'runs');
  await mkdir(join(runs, '1'), { recursive: true });
  await writeFile(join(runs, '1', 'run.json'), JSON.stringify({ status: 'COMPLETED', experiment: { name: 'e' } }));
  await writeFile(join(runs, '1', 'config.json'), '{}');
  await writeFile(join(runs, '1', 'metrics.json'), JSON.stringify(extraKey));
  const store = await FileRunStore.open(runs);
  const [loss] = await store.metrics(1, 'loss');
  assert.deepEqual(
    [loss!.steps, loss!.values, loss!.timestamps],
    [
      [0, 1],
      [1, 2],
      [T0, T0 + 1],
    ],
  );
  assert.equal(fromSacredTime(odd.loss.timestamps[1]!).getTime(), T0 + 1);
});

test('timestamps: false gives, value by value, the steps and values of the whole parse, and reads no timestamp', async () => {
  const dir = await tempDir();
  // Enough points that steps and values span several 1 MB blocks (values of 17 digits: ~26 bytes each).
  const n = 150_000;
  const special = new Map<number, number>([
    [5, Number.NaN],
    [6, -Infinity],
    [7, Infinity],
    [8, -0],
    [9, 1e-7],
    [10, 1e21],
    [n - 2, Number.NaN],
    [n - 1, -0],
  ]);
  const series = (scale: number) => ({
    steps: Array.from({ length: n }, (_, i) => i * scale),
    timestamps: Array.from({ length: n }, (_, i) => toSacredTime(new Date(T0 + i))),
    values: Array.from({ length: n }, (_, i) => special.get(i) ?? (i % 3 === 0 ? -i / 7 : 1 / (i + 1))),
  });
  // Names with what a byte scan could trip on: an escaped quote and backslash, a bracket, a comma, non-ASCII.
  const names = ['a]b,c\\d "q"', 'x ü', 'z'];
  const metrics = Object.fromEntries(names.map((name, k) => [name, series(k + 1)]));
  const pretty = formatSacredJson(metrics);
  assert.match(pretty, /\bNaN\b/);
  assert.match(pretty, /-Infinity/);
  assert.match(pretty, /-0\b/);
  assert.match(pretty, /\\"q\\"/);
  for (const { label, path, text } of await bothSpellings(dir, pretty)) {
    // What every reader must agree with: the file parsed whole.
    const whole = parseSacredJson(text) as Record<string, { steps: number[]; values: number[] }>;
    const index = (await MetricsJsonIndex.read(path))!;
    assert.deepEqual(index.names(), [...names].sort(), label);
    for (const name of names) {
      const chunks = await collect(index.chunks(name, { timestamps: false }));
      assert.ok(
        chunks.every((chunk) => chunk.steps.length > 0 && chunk.steps.length <= CHUNK_POINTS),
        `${label} ${name}: chunk sizes ${chunks.map((chunk) => chunk.steps.length)}`,
      );
      assert.ok(chunks.every((chunk) => chunk.name === name && chunk.timestamps.length === 0));
      const steps = chunks.flatMap((chunk) => chunk.steps);
      const values = chunks.flatMap((chunk) => chunk.values);
      assert.equal(steps.length, n, `${label} ${name}`);
      assert.equal(values.length, n, `${label} ${name}`);
      const expected = whole[name]!;
      for (let i = 0; i < n; i++) {
        if (!Object.is(steps[i], expected.steps[i]) || !Object.is(values[i], expected.values[i])) {
          assert.fail(
            `${label} ${name} point ${i}: step ${steps[i]}, value ${values[i]} (whole: ${expected.values[i]})`,
          );
        }
      }
      assert.ok(Object.is(values[8], -0) && Object.is(values[n - 1], -0) && Number.isNaN(values[5]!));
      // The full read agrees, timestamps included.
      const full = await collect(index.chunks(name));
      assert.deepEqual(
        full.map((chunk) => chunk.steps.length),
        chunks.map((chunk) => chunk.steps.length),
      );
      const times = full.flatMap((chunk) => chunk.timestamps);
      for (let i = 0; i < n; i++) if (times[i] !== T0 + i) assert.fail(`${label} ${name} time ${i}: ${times[i]}`);
    }
  }

  // Proof that the timestamps are not read: the same file with its timestamps' bytes spoiled (same length, so the
  // index still holds). Steps and values still read; asking for the timestamps fails, naming the file.
  const path = join(dir, 'spoiled.json');
  await writeFile(path, pretty);
  const index = (await MetricsJsonIndex.read(path))!;
  const spoiled = pretty.replace(/"\d{4}-\d\d-\d\dT[\d:.]+"/g, (time) => 'x'.repeat(time.length));
  assert.equal(spoiled.length, pretty.length);
  await writeFile(path, spoiled);
  const chunks = await collect(index.chunks('z', { timestamps: false }));
  assert.deepEqual(
    chunks.flatMap((chunk) => chunk.steps),
    Array.from({ length: n }, (_, i) => i * 3),
  );
  const [first] = await collect(index.chunks('z'));
  assert.throws(() => first!.timestamps, /spoiled\.json: metric "z" holds an item that is not JSON/);
});

test('the end of a timestamps array holding brackets, escaped quotes and backslashes is found exactly', async () => {
  const dir = await tempDir();
  // Not times Sacred writes, but strings JSON allows: each would end the array early for a search for the first `]`.
  const odd = ['a]', ']', ' ] ', 'q\\"]', 'b\\', ',]', '[', ']"]', '2026-01-01T00:00:00.000000'];
  const text = JSON.stringify(
    {
      m: { steps: odd.map((_, i) => i), timestamps: odd, values: odd.map((_, i) => -i / 3) },
      n: { steps: [7], timestamps: ['x]'], values: [Number.NaN] },
    },
    null,
    2,
  ).replace('null', 'NaN');
  const path = join(dir, 'odd-times.json');
  await writeFile(path, text);
  const whole = parseSacredJson(text) as Record<string, { steps: number[]; values: number[] }>;
  const index = (await MetricsJsonIndex.read(path))!;
  assert.deepEqual(index.names(), ['m', 'n']);
  for (const name of ['m', 'n']) {
    const [chunk, more] = await collect(index.chunks(name, { timestamps: false }));
    assert.equal(more, undefined);
    assert.deepEqual(chunk!.steps, whole[name]!.steps, name);
    assert.ok(
      chunk!.values.every((value, i) => Object.is(value, whole[name]!.values[i])) &&
        chunk!.values.length === whole[name]!.values.length,
      `${name}: ${chunk!.values}`,
    );
  }
});
