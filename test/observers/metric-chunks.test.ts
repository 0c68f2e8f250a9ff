// Both stores stream one metric at a time (RunStore.metricChunks): the file
// store a log record at a time, MongoDB a document (first, then follow-ons by
// part) at a time. Every point is checked value by value, and compareRuns'
// side-by-side walk is shown to stop reading at the first divergence.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { appendFile, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Experiment, type MetricSeries, type RunId } from '@ritual/core';
import { FileStorageObserver, FileRunStore, type RunStore } from '@ritual/observers';
import { MetricsLog } from '../../packages/observers/src/file/metrics-log.js';
import { MongoObserver } from '../../packages/observers/src/mongo/observer.js';
import { MongoRunStore } from '../../packages/observers/src/mongo/store.js';
import { compareRuns } from '../../packages/cli/src/main.js';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';
import { driveRun } from '../support/mongo-run-events.js';

/** More than three log records (65,536 points each) per metric. */
const POINTS = 200_000;
/** Longer than the 4 kB the log scan looks at for a name: found by the scan's second pass. */
const LONG_NAME = `long.${'n'.repeat(5000)}`;

let dir = '';
let store: FileRunStore;

async function collect(chunks: AsyncIterable<MetricSeries>): Promise<MetricSeries[]> {
  const all: MetricSeries[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
}

/** x = i at step i; run 3 has x = 10.5 at step 10 (its only difference from run 1). */
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ritual-metric-chunks-'));
  const ex = new Experiment('chunks').config({ points: POINTS, tamperAt: -1 }).main(({ config, run }) => {
    for (let i = 0; i < config.points; i++) {
      run.logScalar('x', i === config.tamperAt ? i + 0.5 : i, i);
      run.logScalar('half', i / 2, i);
    }
    run.logScalar(LONG_NAME, 42, 0);
  });
  ex.observe(new FileStorageObserver(dir));
  for (const tamperAt of [-1, -1, 10]) {
    await ex.run({ configUpdates: { seed: 1, tamperAt }, options: { loglevel: 'ERROR' } });
  }
  store = await FileRunStore.open(dir);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file store', () => {
  test('metricChunks of a completed run (no log kept): metrics.json in chunks, every point x = i at step i', async () => {
    // A clean end removes the log (issue 20): the store must read metrics.json, and still hand out bounded chunks.
    assert.equal(existsSync(join(dir, '1', '.ritual', 'metrics.jsonl')), false, 'the log of a completed run is gone');
    assert.deepEqual(await store.metricNames(1), ['half', LONG_NAME, 'x'].sort());
    const chunks = await collect(store.metricChunks(1, 'x'));
    assert.ok(chunks.length >= 4, `${chunks.length} chunks`);
    assert.ok(chunks.every((chunk) => chunk.name === 'x' && chunk.steps.length <= 65_536));
    let i = 0;
    for (const chunk of chunks) {
      for (let k = 0; k < chunk.steps.length; k++, i++) {
        if (chunk.steps[k] !== i || chunk.values[k] !== i) {
          assert.fail(`point ${i}: step ${chunk.steps[k]}, x ${chunk.values[k]}`);
        }
      }
    }
    assert.equal(i, POINTS);
    // Timestamps are parsed when first read (a comparison never does): still one per point, in time order.
    const times = chunks.flatMap((chunk) => chunk.timestamps);
    assert.equal(times.length, POINTS);
    assert.ok(times.every((t, k) => Number.isInteger(t) && t > 1.7e12 && (k === 0 || t >= times[k - 1]!)));
    const [long] = await collect(store.metricChunks(1, LONG_NAME));
    assert.deepEqual([long!.steps, long!.values], [[0], [42]]);
    assert.deepEqual(await collect(store.metricChunks(1, 'nope')), []);
    const [whole] = await store.metrics(1, 'half');
    assert.equal(whole!.values.length, POINTS);
    assert.ok(whole!.values.every((value, k) => value === k / 2 && whole!.steps[k] === k));
    // The last value, read from the end of metrics.json's values array alone.
    assert.equal(await store.lastMetricValue(1, 'x'), POINTS - 1);
    assert.equal(await store.lastMetricValue(1, 'half'), (POINTS - 1) / 2);
    assert.equal(await store.lastMetricValue(1, LONG_NAME), 42);
    assert.equal(await store.lastMetricValue(1, 'nope'), null);
  });

  test('lastMetricValue in metrics.json: a long last item, a null (NaN), one item, an empty series', async () => {
    await cp(join(dir, '1'), join(dir, '5'), { recursive: true });
    const series = (values: string, steps: string) =>
      `{"steps": [${steps}], "timestamps": [${steps.split(',').map(() => '"2026-12-05T00:00:00.000000"')}], "values": [${values}]}`;
    await writeFile(
      join(dir, '5', 'metrics.json'),
      `{"long": ${series(`1, 2, ${' '.repeat(300)}3.25e-7 `, '0, 1, 2')}, "nan": ${series('1, null', '0, 1')}, ` +
        `"one": ${series('-4.5', '0')}, "empty": {"steps": [], "timestamps": [], "values": []}}`,
    );
    assert.equal(await store.lastMetricValue(5, 'long'), 3.25e-7);
    assert.ok(Number.isNaN(await store.lastMetricValue(5, 'nan')));
    assert.equal(await store.lastMetricValue(5, 'one'), -4.5);
    assert.equal(await store.lastMetricValue(5, 'empty'), null);
  });

  test('a run that died keeps its log, read a record at a time, ahead of a lagging metrics.json', async () => {
    // Run 4: run 2's folder, its process "killed" after logging x = i for 150,000 points (the log is never discarded).
    await cp(join(dir, '2'), join(dir, '4'), { recursive: true });
    const log = new MetricsLog(join(dir, '4'));
    const n = 150_000;
    const steps = Array.from({ length: n }, (_, i) => i);
    await log.append([{ name: 'x', steps, values: steps, timestamps: steps.map((i) => 1.7e12 + i) }]);
    await log.close();
    await writeFile(join(dir, '4', 'metrics.json'), '{}');
    const chunks = await collect(store.metricChunks(4, 'x'));
    assert.deepEqual(
      chunks.map((chunk) => chunk.steps.length),
      [65_536, 65_536, 18_928],
    );
    const values = chunks.flatMap((chunk) => chunk.values);
    assert.equal(values.length, n);
    for (let i = 0; i < n; i++) if (values[i] !== i) assert.fail(`point ${i}: x ${values[i]}`);
  });

  test('a record cut by a crash (no newline) is not read; the log grown since is re-indexed', async () => {
    const before = (await collect(store.metricChunks(4, 'x'))).reduce((n, c) => n + c.steps.length, 0);
    await appendFile(join(dir, '4', '.ritual', 'metrics.jsonl'), '{"name":"x","steps":[200000,200001],"values":[7,');
    const after = await collect(store.metricChunks(4, 'x'));
    assert.equal(
      after.reduce((n, c) => n + c.steps.length, 0),
      before,
    );
    await appendFile(join(dir, '4', '.ritual', 'metrics.jsonl'), '8],"timestamps":[1,2]}\n');
    const grown = await collect(store.metricChunks(4, 'x'));
    assert.deepEqual(
      [grown.at(-1)!.steps, grown.at(-1)!.values],
      [
        [200000, 200001],
        [7, 8],
      ],
    );
    // From the log's last record; a torn record after it is passed over.
    assert.equal(await store.lastMetricValue(4, 'x'), 8);
    await appendFile(join(dir, '4', '.ritual', 'metrics.jsonl'), '{"name":"x","steps":[300000],"values":[9\n');
    assert.equal(await store.lastMetricValue(4, 'x'), 8);
  });
});

/** The file store, counting the chunks each metricChunks stream handed out and whether it was closed early. */
function counting(inner: RunStore): { store: RunStore; pulled: Map<string, number>; closed: string[] } {
  const pulled = new Map<string, number>();
  const closed: string[] = [];
  const store: RunStore = Object.create(inner) as RunStore;
  store.metricChunks = (id: RunId, name: string) => ({
    [Symbol.asyncIterator]: () => {
      const key = `${String(id)}:${name}`;
      const it = inner.metricChunks(id, name)[Symbol.asyncIterator]();
      return {
        next: async () => {
          const next = await it.next();
          if (!next.done) pulled.set(key, (pulled.get(key) ?? 0) + 1);
          return next;
        },
        return: async () => {
          closed.push(key);
          return (await it.return?.()) ?? { done: true as const, value: undefined };
        },
      };
    },
  });
  return { store, pulled, closed };
}

describe('compareRuns streams the series', () => {
  test('stopAtDivergence: the walk stops at step 10, in the first record of each run, and closes both', async () => {
    const { store: watched, pulled, closed } = counting(store);
    const c = await compareRuns(watched, 1, 3, { artifacts: false, stopAtDivergence: true });
    const x = c.metrics.find((m) => m.name === 'x')!;
    assert.deepEqual(x, {
      name: 'x',
      pointsA: null,
      pointsB: null,
      status: 'diverges',
      divergence: { index: 10, stepA: 10, stepB: 10, valueA: 10, valueB: 10.5 },
    });
    assert.equal(pulled.get('1:x'), 1);
    assert.equal(pulled.get('3:x'), 1);
    assert.deepEqual(closed.sort(), ['1:x', '3:x']);
    // The series that are the same are read to the end and counted.
    assert.deepEqual(
      c.metrics.filter((m) => m.name !== 'x').map((m) => [m.name, m.status, m.pointsA, m.pointsB]),
      [
        ['half', 'same', POINTS, POINTS],
        [LONG_NAME, 'same', 1, 1],
      ],
    );
  });

  test('by default a diverging series is still counted to its end', async () => {
    const c = await compareRuns(store, 1, 3, { artifacts: false });
    const x = c.metrics.find((m) => m.name === 'x')!;
    assert.deepEqual([x.status, x.pointsA, x.pointsB, x.divergence?.index], ['diverges', POINTS, POINTS, 10]);
    const same = await compareRuns(store, 1, 1, { artifacts: false });
    assert.equal(same.same, true);
  });
});

describe('MongoDB store', () => {
  let server: MongoTestServer;
  let work = '';
  before(async () => {
    server = await startMongoServer();
    work = await mkdtemp(join(tmpdir(), 'ritual-metric-chunks-mongo-'));
  });
  after(async () => {
    await server?.dispose();
    await rm(work, { recursive: true, force: true });
  });

  test('metricChunks: the first document, then its follow-ons in part order, one document at a time', async () => {
    const observer = new MongoObserver({
      url: server.url,
      dbName: 'chunks',
      journalDir: join(work, 'journal'),
      log: () => {},
      limits: { maxPointsPerMetricDocument: 12 },
    });
    const id = (await driveRun(observer, { workDir: join(work, 'run'), beats: 5, pointsPerBeat: 10 })) as RunId;
    const mongo = await MongoRunStore.open(`${server.url}/chunks`);
    try {
      assert.deepEqual(await mongo.metricNames(id), ['train.acc', 'train.loss']);
      const chunks = await collect(mongo.metricChunks(id, 'train.acc'));
      assert.deepEqual(
        chunks.map((chunk) => chunk.steps.length),
        [12, 12, 12, 12, 2],
      );
      const steps = chunks.flatMap((chunk) => chunk.steps);
      const values = chunks.flatMap((chunk) => chunk.values);
      assert.deepEqual(
        steps,
        Array.from({ length: 50 }, (_, i) => i),
      );
      // train.acc is metric index 1 of the scripted run: value (1 + 1) / (step + 1)
      assert.deepEqual(
        values,
        steps.map((step) => 2 / (step + 1)),
      );
      const loss = (await collect(mongo.metricChunks(id, 'train.loss'))).flatMap((chunk) => chunk.values);
      assert.ok(Number.isNaN(loss[7]!), 'the NaN at step 7 survives');
      assert.deepEqual(
        loss.filter((_, step) => step !== 7),
        steps.filter((s) => s !== 7).map((s) => 1 / (s + 1)),
      );
      assert.deepEqual(await collect(mongo.metricChunks(id, 'nope')), []);
      // From the last follow-on document (part 4) alone.
      assert.equal(await mongo.lastMetricValue(id, 'train.acc'), 2 / 50);
      assert.equal(await mongo.lastMetricValue(id, 'train.loss'), 1 / 50);
      assert.equal(await mongo.lastMetricValue(id, 'nope'), null);
      const c = await compareRuns(mongo, id, id, { artifacts: false });
      assert.deepEqual(
        c.metrics.map((m) => [m.name, m.status, m.pointsA]),
        [
          ['train.acc', 'same', 50],
          ['train.loss', 'same', 50],
        ],
      );
    } finally {
      await mongo.close();
    }
  });
});
