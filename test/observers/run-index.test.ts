/**
 * The run index of a runs folder (packages/observers/src/file/run-index.ts):
 * used (a second listing reads no run folder), and kept correct while runs
 * are written: a changed run, a new folder, a deleted one, a corrupt index,
 * a malformed run.json; summaries, pages and counts agree with a MongoDB
 * store holding the same runs; Python Sacred still writes into the folder.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { UsageError, type JsonObject, type RunId } from '@ritual/core';
import { FileRunStore, FileStorageObserver, MongoRunStore, type FindOptions, type RunSummary } from '@ritual/observers';
import { fixture, writeFileStore, writeMongoStore } from '../../bench/run-listing.js';
import { runCli, tableRow } from '../cli/run-cli.js';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';
import { pythonEnvOrSkip } from '../support/python-env.js';
import { makeExperiment, startedEvent, tempDir } from './file-fixtures.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const INDEX = join('.ritual', 'run-index.json');
const T0 = Date.parse('2026-11-27T10:00:00Z');
const ids = (runs: Array<{ _id: RunId }>) => runs.map((run) => run._id);

/** A runs folder with `count` runs written by the real observer, lr = 0.001 * id, result = id / 100; returns the folder. */
async function runsFolder(
  count: number,
): Promise<{ dir: string; experiment: Awaited<ReturnType<typeof makeExperiment>> }> {
  const base = await tempDir('ritual-run-index-');
  const dir = join(base, 'runs');
  const experiment = await makeExperiment(join(base, 'src'));
  for (let i = 1; i <= count; i++) {
    const observer = new FileStorageObserver(dir);
    const runId = await observer.started(
      startedEvent(experiment, { startTime: new Date(T0 + i * 60_000), config: { lr: 0.001 * i, seed: i } }),
    );
    await observer.completed({ runId, stopTime: new Date(T0 + i * 60_000 + 30_000), result: i / 100 });
    await observer.close();
  }
  return { dir, experiment };
}

describe('a runs folder keeps an index of run summaries', () => {
  test('the second listing reads no run folder: the summaries come from .ritual/run-index.json', async () => {
    const { dir } = await runsFolder(3);
    const first = await FileRunStore.open(dir);
    assert.deepEqual(ids(await first.summaries()), [1, 2, 3]);
    assert.deepEqual(first.index.lastRefresh, { folders: 3, read: 3, rebuilt: true });

    const second = await FileRunStore.open(dir);
    const summaries = await second.summaries({}, { sort: { result: -1 } });
    assert.deepEqual(second.index.lastRefresh, { folders: 3, read: 0, rebuilt: false });
    assert.deepEqual(ids(summaries), [3, 2, 1]);
    assert.deepEqual(
      summaries.map((run) => [run.status, run.result, run.config.lr, run.experiment.name, run.host.hostname]),
      [
        ['COMPLETED', 0.03, 0.003, 'mnist', 'testhost'],
        ['COMPLETED', 0.02, 0.002, 'mnist', 'testhost'],
        ['COMPLETED', 0.01, 0.001, 'mnist', 'testhost'],
      ],
    );
    assert.equal(summaries[2]?.start_time?.toISOString(), new Date(T0 + 60_000).toISOString());

    // Proof the index is what answers: an entry edited in it (run.json untouched) is what is listed.
    const index = JSON.parse(await readFile(join(dir, INDEX), 'utf8')) as {
      runs: Record<string, { summary: { result: number } }>;
    };
    (index.runs['2'] as { summary: { result: number } }).summary.result = 42;
    await writeFile(join(dir, INDEX), JSON.stringify(index));
    const third = await FileRunStore.open(dir);
    assert.deepEqual(
      (await third.summaries()).map((run) => run.result),
      [0.01, 42, 0.03],
    );
  });

  test('a run that changes after indexing (RUNNING -> COMPLETED, result set) is seen by the next listing', async () => {
    const { dir, experiment } = await runsFolder(2);
    const observer = new FileStorageObserver(dir);
    const runId = await observer.started(startedEvent(experiment, { config: { lr: 0.5, seed: 3 } }));
    const store = await FileRunStore.open(dir);
    const running = (await store.summaries({ _id: runId })) as RunSummary[];
    assert.deepEqual(
      running.map((run) => [run._id, run.status, run.result, run.stop_time]),
      [[3, 'RUNNING', null, null]],
    );
    await observer.heartbeat({ runId, info: {}, capturedOutDelta: '', beatTime: new Date(T0 + 5_000), result: 0.25 });
    // The same store object (a board between two requests) and a fresh one (the next `ritual ls`) both see it.
    assert.equal((await store.summaries({ _id: runId }))[0]?.heartbeat?.getTime(), T0 + 5_000);
    await observer.completed({ runId, stopTime: new Date(T0 + 9_000), result: 0.99 });
    await observer.close();
    for (const reader of [store, await FileRunStore.open(dir)]) {
      const [run] = await reader.summaries({ status: 'COMPLETED', result: { $gt: 0.5 } });
      assert.deepEqual(
        [run?._id, run?.status, run?.result, run?.stop_time?.getTime()],
        [3, 'COMPLETED', 0.99, T0 + 9_000],
      );
      assert.equal(reader.index.lastRefresh.read, reader === store ? 1 : 0);
      assert.equal(await reader.count({ status: 'RUNNING' }), 0);
      assert.deepEqual(ids(await reader.find({}, { sort: { result: -1 }, limit: 1 })), [3]);
    }
  });

  test('a new run folder appears and a deleted one disappears', async () => {
    const { dir, experiment } = await runsFolder(3);
    const store = await FileRunStore.open(dir);
    assert.equal(await store.count(), 3);
    await rm(join(dir, '2'), { recursive: true });
    const observer = new FileStorageObserver(dir);
    const runId = await observer.started(startedEvent(experiment, { config: { lr: 0.7, seed: 4 } }));
    await observer.close();
    assert.equal(runId, 4);
    assert.deepEqual(ids(await store.summaries()), [1, 3, 4]);
    assert.deepEqual(ids(await (await FileRunStore.open(dir)).summaries({ 'config.lr': { $gt: 0.002 } })), [3, 4]);
    const index = JSON.parse(await readFile(join(dir, INDEX), 'utf8')) as { runs: Record<string, unknown> };
    assert.deepEqual(Object.keys(index.runs).sort(), ['1', '3', '4']);
  });

  test('a corrupt or cut-short index is rebuilt from the run folders and written whole again', async () => {
    const { dir } = await runsFolder(3);
    await (await FileRunStore.open(dir)).summaries();
    const whole = await readFile(join(dir, INDEX), 'utf8');
    for (const damaged of [whole.slice(0, whole.length / 2), 'not json', '{"version": 999, "runs": {}}']) {
      await writeFile(join(dir, INDEX), damaged);
      const store = await FileRunStore.open(dir);
      assert.deepEqual(
        (await store.summaries()).map((run) => [run._id, run.result]),
        [
          [1, 0.01],
          [2, 0.02],
          [3, 0.03],
        ],
      );
      assert.deepEqual(store.index.lastRefresh, { folders: 3, read: 3, rebuilt: true });
      assert.deepEqual(Object.keys(JSON.parse(await readFile(join(dir, INDEX), 'utf8')).runs).sort(), ['1', '2', '3']);
    }
  });

  test('listings racing each other and a writer never leave an unreadable index', async () => {
    const { dir, experiment } = await runsFolder(2);
    const listings: Array<Promise<unknown>> = [];
    const observer = new FileStorageObserver(dir);
    const runId = await observer.started(startedEvent(experiment, { config: { lr: 0.9, seed: 9 } }));
    for (let beat = 1; beat <= 10; beat++) {
      await observer.heartbeat({ runId, info: {}, capturedOutDelta: '', beatTime: new Date(T0 + beat), result: beat });
      listings.push(FileRunStore.open(dir).then((store) => store.summaries()));
    }
    await observer.completed({ runId, stopTime: new Date(T0 + 20), result: 11 });
    await observer.close();
    await Promise.all(listings);
    const index = JSON.parse(await readFile(join(dir, INDEX), 'utf8')) as { runs: Record<string, unknown> };
    assert.deepEqual(Object.keys(index.runs).sort(), ['1', '2', '3']);
    const [last] = await (await FileRunStore.open(dir)).summaries({ _id: 3 });
    assert.deepEqual([last?.status, last?.result], ['COMPLETED', 11]);
  });

  test('a malformed run.json is reported, skipped, and listed again once fixed; ls keeps listing the rest', async () => {
    const { dir } = await runsFolder(3);
    const good = await readFile(join(dir, '2', 'run.json'), 'utf8');
    await writeFile(join(dir, '2', 'run.json'), good.slice(0, 40));
    for (let pass = 0; pass < 2; pass++) {
      // The second pass answers from the index: the error is remembered with the file's stamp, not lost.
      const store = await FileRunStore.open(dir);
      assert.deepEqual(ids(await store.summaries()), [1, 3]);
      assert.equal(await store.count(), 2);
      assert.equal(store.warnings.length, 1);
      assert.match(store.warnings[0] ?? '', /^skipped run 2: .*run\.json is not valid JSON/);
    }
    const { code, stdout, stderr } = await runCli(['ls', dir]);
    assert.equal(code, 0);
    assert.match(stderr, /ritual: skipped run 2: .*run\.json is not valid JSON .*Fix or remove that run folder/);
    assert.ok(tableRow(stdout, '1') && tableRow(stdout, '3') && !tableRow(stdout, '2'));

    await writeFile(join(dir, '2', 'run.json'), good);
    assert.deepEqual(ids(await (await FileRunStore.open(dir)).summaries()), [1, 2, 3]);
  });

  test('a folder caught between config.json and run.json is listed once both are written', async () => {
    const { dir } = await runsFolder(1);
    await mkdir(join(dir, '2'));
    await writeFile(join(dir, '2', 'run.json'), await readFile(join(dir, '1', 'run.json')));
    const store = await FileRunStore.open(dir);
    assert.deepEqual(ids(await store.summaries()), [1]);
    assert.match(store.warnings[0] ?? '', /skipped run 2: Cannot read .*config\.json/);
    await writeFile(join(dir, '2', 'config.json'), '{"lr": 0.3}');
    assert.deepEqual(
      (await store.summaries()).map((run) => [run._id, run.config.lr]),
      [
        [1, 0.001],
        [2, 0.3],
      ],
    );
  });

  test('find() on summary fields reads only the page whole; on other fields it reads every run', async () => {
    const { dir } = await runsFolder(4);
    const store = await FileRunStore.open(dir);
    const page = await store.find({ 'config.lr': { $gte: 0.002 } }, { sort: { start_time: -1 }, skip: 1, limit: 2 });
    assert.deepEqual(ids(page), [3, 2]);
    assert.deepEqual(page[0], await store.get(3).then(({ captured_out: _, ...run }) => run));
    assert.deepEqual(ids(await store.find({ 'host.cpu': 'Test CPU @ 2.00GHz' }, { sort: { _id: -1 } })), [4, 3, 2, 1]);
    assert.equal(await store.count({ 'experiment.mainfile': 'train.js' }), 4);
    await assert.rejects(store.summaries({ 'host.cpu': 'x' }), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /reads another field\. Use find\(\) for that query\./);
      return true;
    });
  });

  test("ritual ls still rewrites a dead run's lagging metrics.json from its log, as find did", async () => {
    const { dir, experiment } = await runsFolder(1);
    const observer = new FileStorageObserver(dir);
    const runId = await observer.started(startedEvent(experiment, { config: { lr: 0.5, seed: 2 } }));
    await observer.logMetrics({
      runId,
      info: {},
      metrics: [{ name: 'loss', steps: [0, 1, 2], values: [3, 2, 1], timestamps: [T0, T0 + 1, T0 + 2] }],
    });
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    await observer.heartbeat({ runId, info: {}, capturedOutDelta: '', beatTime: tenMinutesAgo, result: null });
    // Every pending write done (close does not end the run), then the kill's effect: metrics.json lags the log.
    await observer.close();
    const metricsJson = join(dir, String(runId), 'metrics.json');
    await writeFile(metricsJson, '{}');
    await utimes(metricsJson, tenMinutesAgo, tenMinutesAgo);
    const { code, stdout } = await runCli(['ls', dir], { now: new Date() });
    assert.equal(code, 0);
    assert.equal(tableRow(stdout, '2')?.[2], 'RUNNING?');
    const rebuilt = JSON.parse(await readFile(metricsJson, 'utf8')) as Record<string, { values: number[] }>;
    assert.deepEqual(rebuilt.loss?.values, [3, 2, 1]);
  });

  test('ritual ls with a column a summary lacks still lists every run', async () => {
    const { dir } = await runsFolder(2);
    const { code, stdout } = await runCli(['ls', dir, '-c', 'host.cpu,config.lr', '--sort', '-result']);
    assert.equal(code, 0);
    assert.deepEqual(tableRow(stdout, '2')?.slice(-2), ['Test CPU @ 2.00GHz', '0.002']);
  });
});

describe('file and MongoDB stores agree on summaries, pages and counts of the same runs', () => {
  let server: MongoTestServer;
  let file: FileRunStore;
  let mongo: MongoRunStore;

  before(async () => {
    server = await startMongoServer({ persistent: false });
    const runs = fixture(120);
    const dir = join(await tempDir('ritual-run-index-agree-'), 'runs');
    await writeFileStore(dir, runs);
    await writeMongoStore(server.url, 'agree', runs);
    file = await FileRunStore.open(dir);
    mongo = await MongoRunStore.open(`${server.url}/agree`);
  });

  after(async () => {
    await mongo?.close();
    await server?.dispose();
  });

  const queries: Array<[JsonObject, FindOptions]> = [
    [{}, { sort: { start_time: -1, _id: 1 }, limit: 50 }],
    [{}, { sort: { start_time: -1, _id: 1 }, skip: 50, limit: 50 }],
    [{ 'config.lr': { $lt: 0.01 } }, { sort: { result: -1, _id: 1 }, limit: 20 }],
    [{ 'config.lr': { $lt: 0.01 } }, { sort: { result: -1, _id: 1 }, skip: 20, limit: 20 }],
    [{ status: { $in: ['RUNNING', 'FAILED'] } }, { sort: { 'config.batchSize': 1, _id: -1 } }],
    [{ 'meta.sweep.id': 'sweep3', 'experiment.name': 'mnist' }, { sort: { 'meta.sweep.index': 1 } }],
    [{ $or: [{ 'host.hostname': 'host-2' }, { result: { $gte: 0.9 } }] }, {}],
  ];

  for (const [filter, options] of queries) {
    test(`${JSON.stringify(filter)} ${JSON.stringify(options)}`, async () => {
      const fromFile = await file.summaries(filter, options);
      const fromMongo = await mongo.summaries(filter, options);
      assert.ok(fromFile.length > 0, 'the query matches some runs');
      assert.deepEqual(fromFile, fromMongo);
      assert.equal(await file.count(filter), await mongo.count(filter));
      assert.deepEqual(ids(await file.find(filter, options)), ids(fromFile));
    });
  }

  test('counts match the fixture', async () => {
    const runs = fixture(120);
    assert.equal(await file.count(), 120);
    assert.equal(await mongo.count(), 120);
    const low = runs.filter((run) => (run.config.lr as number) < 0.01).length;
    assert.equal(await file.count({ 'config.lr': { $lt: 0.01 } }), low);
    assert.equal(await mongo.count({ 'config.lr': { $lt: 0.01 } }), low);
  });
});

test('Python Sacred writes its next run beside the index, and the next listing picks it up', {
  timeout: 600_000,
}, async (t) => {
  const env = await pythonEnvOrSkip();
  if ('skip' in env) return t.skip(env.skip);
  const { dir } = await runsFolder(2);
  await (await FileRunStore.open(dir)).summaries();
  const script = join(dirname(dir), 'sacred_experiment.py');
  await copyFile(join(HERE, '..', 'conformance', 'sacred_experiment.py'), script);
  const artifact = join(dirname(dir), 'artifact.json');
  await writeFile(artifact, '{}');
  await promisify(execFile)(env.python, [script, 'with', 'lr=0.02', '--capture=sys'], {
    cwd: dirname(dir),
    env: { ...process.env, RUNS_DIR: dir, ARTIFACT_FILE: artifact },
  });
  const store = await FileRunStore.open(dir);
  const runs = await store.summaries();
  assert.deepEqual(
    runs.map((run) => [run._id, run.status, run.config.lr]),
    [
      [1, 'COMPLETED', 0.001],
      [2, 'COMPLETED', 0.002],
      [3, 'COMPLETED', 0.02],
    ],
  );
  assert.deepEqual(store.index.lastRefresh, { folders: 3, read: 1, rebuilt: false });
});
