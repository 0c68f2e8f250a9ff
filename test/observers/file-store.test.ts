import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { before, test } from 'node:test';
import { BackendError, RunNotFoundError, UsageError } from '@ritual/core';
import type { JsonObject, RunId } from '@ritual/core';
import { FileRunStore, FileStorageObserver, openStore } from '@ritual/observers';
import { makeExperiment, startedEvent, tempDir } from './file-fixtures.js';

let runsDir = '';
const T0 = Date.parse('2026-11-27T10:00:00Z');

/** Five runs: lr 0.1, 0.001, 0.01, 0.0001 (failed), 0.05 (still running). */
before(async () => {
  const base = await tempDir('ritual-store-');
  runsDir = join(base, 'runs');
  const experiment = await makeExperiment(join(base, 'src'));
  const artifact = join(base, 'model.json');
  await writeFile(artifact, '{"layers": 3}');
  const plan = [
    { lr: 0.1, result: 0.7, end: 'completed' },
    { lr: 0.001, result: 0.9, end: 'completed' },
    { lr: 0.01, result: 0.95, end: 'completed' },
    { lr: 0.0001, result: null, end: 'failed' },
    { lr: 0.05, result: null, end: 'running' },
  ];
  for (const [index, { lr, result, end }] of plan.entries()) {
    const observer = new FileStorageObserver(runsDir);
    const runId = await observer.started(
      startedEvent(experiment, { startTime: new Date(T0 + index * 60_000), config: { lr, seed: index } }),
    );
    await observer.logMetrics({
      runId,
      info: {},
      metrics: [{ name: 'loss', steps: [0, 1, 2], values: [1, 0.5, lr], timestamps: [T0, T0 + 1, T0 + 2] }],
    });
    await observer.heartbeat({
      runId,
      info: { lr },
      capturedOutDelta: `run ${index + 1}\n`,
      beatTime: new Date(T0 + index * 60_000 + 5000),
      result: null,
    });
    await observer.artifactAdded({ runId, name: 'model/model.json', path: artifact });
    if (end === 'completed')
      await observer.completed({ runId, stopTime: new Date(T0 + index * 60_000 + 30_000), result });
    if (end === 'failed')
      await observer.failed({
        runId,
        stopTime: new Date(T0 + index * 60_000 + 30_000),
        failTrace: ['Error: diverged'],
      });
    await observer.close();
  }
});

const ids = (runs: Array<{ _id: RunId }>) => runs.map((run) => run._id);

test('open: a missing folder is a UsageError that names it; openStore picks the file store for a path', async () => {
  await assert.rejects(
    FileRunStore.open(join(runsDir, 'nope')),
    (error: Error) => error instanceof UsageError && error.message.includes('nope'),
  );
  const store = await openStore(runsDir);
  assert.ok(store instanceof FileRunStore);
  assert.equal(store.location, runsDir);
});

test('find with MongoDB filters, sort, skip and limit over normalised runs', async () => {
  const store = await FileRunStore.open(runsDir);
  assert.deepEqual(ids(await store.find()), [1, 2, 3, 4, 5]);
  assert.deepEqual(ids(await store.find({ 'config.lr': { $lt: 0.01 } })), [2, 4]);
  assert.deepEqual(ids(await store.find({ status: 'COMPLETED' }, { sort: { result: -1 } })), [3, 2, 1]);
  assert.deepEqual(ids(await store.find({ status: 'COMPLETED' }, { sort: { result: -1 }, limit: 2 })), [3, 2]);
  assert.deepEqual(ids(await store.find({}, { sort: { _id: -1 }, skip: 1, limit: 2 })), [4, 3]);
  assert.deepEqual(ids(await store.find({ $or: [{ status: 'FAILED' }, { status: 'RUNNING' }] })), [4, 5]);
  assert.deepEqual(ids(await store.find({ 'info.lr': 0.1 })), [1]);
  // Times are Dates, so range queries on them work.
  const after = { start_time: { $gte: new Date(T0 + 2 * 60_000) } } as unknown as JsonObject;
  assert.deepEqual(ids(await store.find(after)), [3, 4, 5]);
  const [run] = await store.find({ _id: 3 });
  assert.ok(run?.start_time instanceof Date && run.heartbeat instanceof Date && run.stop_time instanceof Date);
  assert.equal(run?.stop_time?.getTime(), T0 + 2 * 60_000 + 30_000);
  assert.deepEqual(run?.artifacts, ['model/model.json']);
  assert.equal(run?.captured_out, undefined, 'find does not read cout.txt');
  await assert.rejects(store.find({ status: { $nonsense: 1 } }), UsageError);
});

test('get, metrics, artifacts and openArtifact', async () => {
  const store = await FileRunStore.open(runsDir);
  const run = await store.get(4);
  assert.equal(run.status, 'FAILED');
  assert.deepEqual(run.fail_trace, ['Error: diverged']);
  assert.equal(run.captured_out, 'run 4\n');
  assert.equal(run.experiment.sources.length, 2);
  await assert.rejects(store.get(999), RunNotFoundError);
  await assert.rejects(store.get('../runs'), RunNotFoundError);
  await assert.rejects(store.get('_sources'), RunNotFoundError);

  const [loss] = await store.metrics(2, 'loss');
  assert.deepEqual(loss, { name: 'loss', steps: [0, 1, 2], values: [1, 0.5, 0.001], timestamps: [T0, T0 + 1, T0 + 2] });
  assert.deepEqual(await store.metrics(2, 'missing'), []);
  await assert.rejects(store.metrics(999), RunNotFoundError);

  assert.deepEqual(await store.artifacts(1), [{ name: 'model/model.json', size: 13 }]);
  assert.equal(await text(await store.openArtifact(1, 'model/model.json')), '{"layers": 3}');
  await assert.rejects(
    store.openArtifact(1, 'other.bin'),
    (error: Error) => error instanceof UsageError && error.message.includes('model/model.json'),
  );
  await assert.rejects(store.openArtifact(1, '../2/run.json'), UsageError);
});

test('corrupt or half-written run folders are skipped by find and reported; get names the bad file', async () => {
  const store = await FileRunStore.open(runsDir);
  const broken = join(runsDir, '90');
  await mkdir(broken);
  await writeFile(join(broken, 'config.json'), '{}');
  await writeFile(join(broken, 'run.json'), '{"status": "COMPLETED", "start_ti');
  await mkdir(join(runsDir, '91')); // claimed, then killed before run.json
  await mkdir(join(runsDir, '92'));
  await writeFile(join(runsDir, '92', 'run.json'), '{"status": "DONE"}');
  await writeFile(join(runsDir, '92', 'config.json'), '{}');
  await mkdir(join(runsDir, '93'));
  await writeFile(join(runsDir, '93', 'run.json'), '{"status": "COMPLETED", "start_time": "yesterday"}');
  await writeFile(join(runsDir, '93', 'config.json'), '[1, 2]');
  try {
    const reported: RunId[] = [];
    const watching = await FileRunStore.open(runsDir, { onCorrupt: (id) => reported.push(id) });
    assert.deepEqual(ids(await watching.find()), [1, 2, 3, 4, 5]);
    assert.deepEqual(reported.sort(), [90, 91, 92, 93]);
    assert.equal(watching.warnings.length, 4);
    assert.match(watching.warnings.join('\n'), /skipped run 90: .*run\.json is not valid JSON/);
    await assert.rejects(
      store.get(90),
      (error: Error) => error instanceof BackendError && error.message.includes(join(broken, 'run.json')),
    );
    await assert.rejects(
      store.get(91),
      (error: Error) => error instanceof BackendError && error.message.includes('run.json'),
    );
    await assert.rejects(
      store.get(92),
      (error: Error) => error instanceof BackendError && error.message.includes('DONE'),
    );
    await assert.rejects(
      store.get(93),
      (error: Error) => error instanceof BackendError && error.message.includes('config.json'),
    );
  } finally {
    const { rm } = await import('node:fs/promises');
    for (const name of ['90', '91', '92', '93']) await rm(join(runsDir, name), { recursive: true, force: true });
  }
});

test('runs written by Sacred itself: bare NaN tokens, string time stamps, no metrics log', async () => {
  const base = await tempDir('ritual-sacred-');
  const dir = join(base, '1');
  await mkdir(dir);
  await writeFile(join(dir, 'config.json'), '{\n  "lr": NaN,\n  "seed": 1\n}');
  await writeFile(
    join(dir, 'run.json'),
    JSON.stringify({
      status: 'COMPLETED',
      start_time: '2026-11-27T10:00:00.123456',
      stop_time: '2026-11-27T10:01:00',
      heartbeat: null,
      result: 1,
      artifacts: ['a.txt'],
    }),
  );
  await writeFile(
    join(dir, 'metrics.json'),
    '{"loss": {"steps": [0, 1], "values": [NaN, -Infinity], "timestamps": ["2026-11-27T10:00:01.000000", "2026-11-27T10:00:02"]}}',
  );
  const store = await FileRunStore.open(base);
  const [run] = await store.find({});
  assert.ok(Number.isNaN(run?.config.lr));
  assert.equal(run?.start_time?.toISOString(), '2026-11-27T10:00:00.123Z');
  assert.deepEqual(run?.info, {}, 'info.json is optional when reading');
  const [loss] = await store.metrics(1);
  assert.deepEqual(loss?.values, [Number.NaN, -Infinity]);
  assert.deepEqual(loss?.timestamps, [Date.parse('2026-11-27T10:00:01Z'), Date.parse('2026-11-27T10:00:02Z')]);
});
