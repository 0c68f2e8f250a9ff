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
import { formatSacredJson } from '../../packages/observers/src/file/sacred-json.js';
import { tempDir } from './file-fixtures.js';

const T0 = 1_795_000_000_123;

async function collect(chunks: AsyncIterable<MetricSeries>): Promise<MetricSeries[]> {
  const all: MetricSeries[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
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
  // No name or time string here holds a newline: dropping each newline and its indent leaves the strings alone.
  const compact = pretty.replace(/\n\s*/g, '');
  for (const [label, text] of [
    ['indented', pretty],
    ['compact', compact],
  ] as const) {
    const path = join(dir, `${label}.json`);
    await writeFile(path, text);
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
