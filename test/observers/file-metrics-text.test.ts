import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { MetricSeries } from '@ritual/core';
import { toSacredTime } from '@ritual/core/observer-kit';
import { MetricsLog } from '../../packages/observers/src/file/metrics-log.js';
import { readMetricsLog } from '../../packages/observers/src/file/metrics-log-index.js';
import { formatSacredJson } from '../../packages/observers/src/file/sacred-json.js';
import { tempDir } from './file-fixtures.js';

const T0 = 1_795_000_000_123;

function series(
  name: string,
  from: number,
  count: number,
  point: (i: number) => [number, number, number],
): MetricSeries {
  const s: MetricSeries = { name, steps: [], values: [], timestamps: [] };
  for (let i = from; i < from + count; i++) {
    const [step, value, timestamp] = point(i);
    s.steps.push(step);
    s.values.push(value);
    s.timestamps.push(timestamp);
  }
  return s;
}

/** What metrics.json must hold: Sacred's json.dump(indent=2, sort_keys=True) of every point. */
function expectedMetricsJson(all: MetricSeries[]): string {
  const merged: Record<string, { steps: number[]; timestamps: string[]; values: number[] }> = {};
  for (const s of all) {
    const m = (merged[s.name] ??= { steps: [], timestamps: [], values: [] });
    for (let i = 0; i < s.steps.length; i++) {
      m.steps.push(s.steps[i]!);
      m.timestamps.push(toSacredTime(s.timestamps[i]!));
      m.values.push(s.values[i]!);
    }
  }
  return formatSacredJson(merged);
}

test('metrics.json written from the encoded items is what a JSON serialiser writes for the same points, across chunks and flushes', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, '.ritual'));
  const odd = [Number.NaN, Infinity, -Infinity, -0, 1e21, 1e-7, -2.5, 0.1 + 0.2, 2 ** 60];
  const flushes: MetricSeries[][] = [
    [
      series('loss', 0, 3, (i) => [i, 1 / (i + 1), T0 + i]),
      series('ünï "q"\\', 0, odd.length, (i) => [-7 * i, odd[i]!, T0 + 0.5 + 999 * i]),
    ],
    // More points than one chunk, many of them in one millisecond (the repeated-item path), across a second boundary.
    [
      series('loss', 3, 150_000, (i) => [i, Math.sin(i) * 1e3, T0 + 876 + Math.floor(i / 1000)]),
      series('acc', 0, 2, (i) => [i + 0.5, i, T0 + 86_400_000 * i]),
    ],
    [series('loss', 150_003, 5, (i) => [2 ** 53 + 2 * i, i % 2 === 0 ? Number.NaN : i, T0 + 200_000])],
  ];
  const log = new MetricsLog(dir);
  const logged: MetricSeries[] = [];
  for (const flush of flushes) {
    await log.append(flush);
    logged.push(...flush);
    await log.flush();
    assert.equal(await readFile(join(dir, 'metrics.json'), 'utf8'), expectedMetricsJson(logged));
  }
  await log.close();
  assert.deepEqual(
    await readdir(join(dir, '.ritual', 'metrics-text')),
    [],
    'the item files are a cache, removed at the end',
  );

  // The log is the record: every point back exactly, non-finite values included (JSON has no -0).
  const noNegativeZero = (values: number[]) => values.map((x) => (x === 0 ? 0 : x));
  const read = await readMetricsLog(dir);
  for (const name of ['loss', 'acc', 'ünï "q"\\']) {
    const parts = logged.filter((s) => s.name === name);
    assert.deepEqual(read?.get(name), {
      name,
      steps: noNegativeZero(parts.flatMap((s) => s.steps)),
      values: noNegativeZero(parts.flatMap((s) => s.values)),
      timestamps: parts.flatMap((s) => s.timestamps),
    });
  }
  const lines = (await readFile(join(dir, '.ritual', 'metrics.jsonl'), 'utf8')).split('\n');
  assert.equal(
    lines[0],
    JSON.stringify({ name: 'loss', steps: [0, 1, 2], values: [1, 0.5, 1 / 3], timestamps: [T0, T0 + 1, T0 + 2] }),
    'a record is what JSON.stringify writes',
  );
});

test('discardLog removes the log only when metrics.json on disk is the synced rewrite of every point', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, '.ritual'), { recursive: true });
  const points = series('x', 0, 20_000, (i) => [i, i, T0 + i]);
  const log = new MetricsLog(dir);
  await log.append([points]);
  await log.flush({ durable: true });
  // Something else changed metrics.json after the rewrite (a torn copy, a hand edit): the log must stay.
  const written = await readFile(join(dir, 'metrics.json'));
  await writeFile(join(dir, 'metrics.json'), written.subarray(0, written.length - 10));
  await assert.rejects(log.discardLog(), /could not be confirmed complete.*metrics log .* is kept/);
  assert.ok(existsSync(join(dir, '.ritual', 'metrics.jsonl')));
  assert.equal((await readMetricsLog(dir))?.get('x')?.steps.length, 20_000);
  await log.close();

  // The same points, metrics.json left as written: the log goes, metrics.json holds every point.
  const again = await tempDir();
  await mkdir(join(again, '.ritual'), { recursive: true });
  const clean = new MetricsLog(again);
  await clean.append([points]);
  await clean.flush({ durable: true });
  await clean.discardLog();
  await clean.close();
  assert.equal(existsSync(join(again, '.ritual', 'metrics.jsonl')), false);
  assert.equal(await readFile(join(again, 'metrics.json'), 'utf8'), expectedMetricsJson([points]));
});

/** What the log holds, metric by metric: the record the run keeps while it goes on. */
async function loggedSteps(dir: string): Promise<Record<string, number>> {
  const read = (await readMetricsLog(dir)) ?? new Map<string, MetricSeries>();
  return Object.fromEntries([...read].map(([name, s]) => [name, s.steps.length]));
}

test('a small run keeps its metrics.json items in memory: no item file is created, and metrics.json is the same', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, '.ritual'));
  const log = new MetricsLog(dir);
  const logged: MetricSeries[] = [];
  for (let beat = 0; beat < 3; beat++) {
    const flush = [
      series('batch.loss', beat * 100, 100, (i) => [i, 1 / (i + 1), T0 + i]),
      series('batch.acc', beat * 100, 100, (i) => [i, i / 300, T0 + i]),
    ];
    await log.append(flush);
    logged.push(...flush);
    await log.flush();
    assert.equal(await readFile(join(dir, 'metrics.json'), 'utf8'), expectedMetricsJson(logged));
  }
  assert.equal(existsSync(join(dir, '.ritual', 'metrics-text')), false, 'no item file for a small run');
  await log.flush({ durable: true });
  await log.discardLog();
  await log.close();
  assert.equal(await readFile(join(dir, 'metrics.json'), 'utf8'), expectedMetricsJson(logged));
});

test('items that outgrow memory move to files mid-run, byte for byte, and metrics added later get files too', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, '.ritual'));
  const log = new MetricsLog(dir);
  const logged: MetricSeries[] = [];
  const textDir = join(dir, '.ritual', 'metrics-text');
  let beats = 0;
  // ~70 bytes of items per point: a couple of beats of 2 x 4000 points stay in memory, later ones do not.
  while (!existsSync(textDir)) {
    const flush = [
      series('a', beats * 4000, 4000, (i) => [i, Math.sin(i), T0 + i]),
      series('b', beats * 4000, 4000, (i) => [i, i * 0.25, T0 + 7 * i]),
    ];
    await log.append(flush);
    logged.push(...flush);
    await log.flush();
    assert.equal(await readFile(join(dir, 'metrics.json'), 'utf8'), expectedMetricsJson(logged), `beat ${beats}`);
    beats++;
    assert.ok(beats < 20, 'the items never moved to files');
  }
  assert.ok(beats >= 2, `the items went to files at beat ${beats}, before outgrowing memory`);
  assert.deepEqual((await readdir(textDir)).sort(), [
    '0.steps',
    '0.timestamps',
    '0.values',
    '1.steps',
    '1.timestamps',
    '1.values',
  ]);
  const later = [series('a', beats * 4000, 10, (i) => [i, -i, T0 + i]), series('c', 0, 3, (i) => [i, i, T0 + i])];
  await log.append(later);
  logged.push(...later);
  await log.flush({ durable: true });
  assert.equal(await readFile(join(dir, 'metrics.json'), 'utf8'), expectedMetricsJson(logged));
  assert.equal((await readdir(textDir)).filter((file) => file.startsWith('2.')).length, 3);
  await log.discardLog();
  await log.close();
  assert.deepEqual(await readdir(textDir), [], 'the item files are removed at the end');
});

test('when the items cannot move to files, the append that needed it fails whole and a retry stores every point once', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, '.ritual'));
  const log = new MetricsLog(dir);
  const first = series('x', 0, 100, (i) => [i, i / 2, T0 + i]);
  await log.append([first]);
  await log.flush();
  // A file where the item folder goes: creating the item files fails as a full disk or a permission would.
  const textDir = join(dir, '.ritual', 'metrics-text');
  await writeFile(textDir, 'in the way');
  const big = series('x', 100, 20_000, (i) => [i, Math.cos(i), T0 + i]);
  await assert.rejects(log.append([big]), /EEXIST|ENOTDIR/);
  assert.deepEqual(await loggedSteps(dir), { x: 100 }, 'the failed append left nothing in the log');
  await log.flush();
  assert.equal(await readFile(join(dir, 'metrics.json'), 'utf8'), expectedMetricsJson([first]));

  await rm(textDir);
  await log.append([big]);
  await log.flush({ durable: true });
  assert.deepEqual(await loggedSteps(dir), { x: 20_100 });
  assert.equal(await readFile(join(dir, 'metrics.json'), 'utf8'), expectedMetricsJson([first, big]));
  await log.discardLog();
  await log.close();
});
