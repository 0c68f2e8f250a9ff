import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { BackendError, UsageError } from '@ritual/core';
import { FileRunStore, FileStorageObserver } from '@ritual/observers';
import { SMALL_RUN_POINTS } from '../../packages/observers/src/file/metrics-log.js';
import { formatSacredJson, parseSacredJson } from '../../packages/observers/src/file/sacred-json.js';
import { host, makeExperiment, md5, meta, startedEvent, tempDir } from './file-fixtures.js';

const SACRED_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;
const json = async (path: string): Promise<any> => JSON.parse(await readFile(path, 'utf8'));

/** Poll until `check` holds (metrics.json is refreshed in the background, within milliseconds). */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('started writes Sacred files with sorted keys, 2-space indent, shared sources and Sacred times', async () => {
  const base = await tempDir();
  const experiment = await makeExperiment(join(base, 'src'));
  const observer = new FileStorageObserver(join(base, 'runs'));
  assert.equal(observer.priority, 20);
  assert.equal(observer.name, `FileStorageObserver(${join(base, 'runs')})`);
  const id = await observer.started(startedEvent(experiment));
  assert.equal(id, 1);
  const runDir = join(base, 'runs', '1');
  assert.deepEqual((await readdir(runDir)).sort(), [
    '.ritual',
    'config.json',
    'cout.txt',
    'info.json',
    'metrics.json',
    'run.json',
  ]);

  const configText = await readFile(join(runDir, 'config.json'), 'utf8');
  // Python's sort_keys sorts "10" before "2" (as strings); JSON.stringify would not.
  assert.equal(
    configText,
    '{\n  "epochs": 3,\n  "lr": 0.01,\n  "model": {\n    "10": "ten",\n    "2": "two",\n    "hidden": 128\n  },\n  "seed": 42\n}',
  );
  const runText = await readFile(join(runDir, 'run.json'), 'utf8');
  const keys = [...runText.matchAll(/^ {2}"([^"]+)":/gm)].map((m) => m[1]);
  assert.deepEqual(keys, [
    'artifacts',
    'command',
    'experiment',
    'heartbeat',
    'host',
    'meta',
    'resources',
    'start_time',
    'status',
  ]);
  const run = JSON.parse(runText);
  assert.equal(run.status, 'RUNNING');
  assert.equal(run.start_time, '2026-11-27T10:00:00.123000');
  assert.equal(run.heartbeat, null);
  const trainMd5 = md5(await readFile(join(base, 'src', 'train.js')));
  // Sacred's <stem>_<md5><ext>, plus .txt so that the user's tsc/eslint/test runner never pick the copy up.
  assert.deepEqual(run.experiment.sources[0], ['train.js', `_sources/train_${trainMd5}.js.txt`]);
  assert.match(run.experiment.sources[1][1], /^_sources\/model_[0-9a-f]{32}\.js\.txt$/);
  assert.equal(
    await readFile(join(base, 'runs', String(run.experiment.sources[0][1])), 'utf8'),
    'console.log("train");\n',
  );
  assert.deepEqual(run.experiment.dependencies, experiment.dependencies);
  assert.deepEqual(run.host, host);
  assert.deepEqual(run.meta, meta);
  assert.deepEqual(await json(join(runDir, 'info.json')), {});
  assert.deepEqual(await json(join(runDir, 'metrics.json')), {});
  assert.equal(await readFile(join(runDir, 'cout.txt'), 'utf8'), '');
  await observer.close();

  // A second run gets id 2 and reuses the stored sources (copied once).
  const second = new FileStorageObserver(join(base, 'runs'));
  assert.equal(await second.started(startedEvent(experiment)), 2);
  assert.equal((await readdir(join(base, 'runs', '_sources'))).length, 2);
  await second.close();
});

test('a whole run: metrics, heartbeats append cout, info, artifacts in subfolders, resources, completed', async () => {
  const base = await tempDir();
  const experiment = await makeExperiment(join(base, 'src'));
  const observer = new FileStorageObserver(join(base, 'runs'));
  await observer.started(startedEvent(experiment));
  const runDir = join(base, 'runs', '1');
  const t0 = Date.parse('2026-11-27T10:00:01.000Z');
  await observer.logMetrics({
    runId: 1,
    info: {},
    metrics: [{ name: 'loss', steps: [0, 1], values: [0.9, 0.5], timestamps: [t0, t0 + 1] }],
  });
  await observer.heartbeat({
    runId: 1,
    info: { note: 'hi' },
    capturedOutDelta: 'epoch 1\n',
    beatTime: new Date(t0 + 10_000),
    result: undefined,
  });
  await observer.logMetrics({
    runId: 1,
    info: {},
    metrics: [
      { name: 'loss', steps: [2], values: [0.25], timestamps: [t0 + 2] },
      { name: 'acc', steps: [2], values: [0.8], timestamps: [t0 + 2] },
    ],
  });
  await observer.heartbeat({
    runId: 1,
    info: { note: 'hi' },
    capturedOutDelta: 'epoch 2\n',
    beatTime: new Date(t0 + 20_000),
    result: 0.8,
  });
  assert.equal(await readFile(join(runDir, 'cout.txt'), 'utf8'), 'epoch 1\nepoch 2\n');
  assert.deepEqual(await json(join(runDir, 'info.json')), { note: 'hi' });
  // Small runs get metrics.json refreshed after every flush, as Sacred does (in the background, so poll).
  await eventually(
    async () => (await json(join(runDir, 'metrics.json'))).loss?.steps.length === 3,
    'metrics.json holds all 3 loss points',
  );
  const metrics = await json(join(runDir, 'metrics.json'));
  assert.deepEqual(Object.keys(metrics), ['acc', 'loss']);
  assert.deepEqual(metrics.loss.steps, [0, 1, 2]);
  assert.deepEqual(metrics.loss.values, [0.9, 0.5, 0.25]);
  assert.deepEqual(metrics.loss.timestamps, [
    '2026-11-27T10:00:01.000000',
    '2026-11-27T10:00:01.001000',
    '2026-11-27T10:00:01.002000',
  ]);
  assert.deepEqual(Object.keys(metrics.loss), ['steps', 'timestamps', 'values']);

  const modelFile = join(base, 'model.json');
  await writeFile(modelFile, '{"weights": []}');
  await observer.artifactAdded({ runId: 1, name: 'model/model.json', path: modelFile });
  await observer.artifactAdded({ runId: 1, name: 'weights.bin', path: modelFile });
  const resource = join(base, 'data.csv');
  await writeFile(resource, 'a,b\n1,2\n');
  await observer.resourceAdded({ runId: 1, path: resource, md5: md5('a,b\n1,2\n') });
  await observer.completed({ runId: 1, stopTime: new Date('2026-11-27T10:05:00Z'), result: 0.8 });
  await observer.close();

  assert.equal(await readFile(join(runDir, 'model', 'model.json'), 'utf8'), '{"weights": []}');
  const run = await json(join(runDir, 'run.json'));
  assert.equal(run.status, 'COMPLETED');
  assert.equal(run.result, 0.8);
  assert.equal(run.stop_time, '2026-11-27T10:05:00.000000');
  assert.match(run.heartbeat, SACRED_TIME);
  assert.deepEqual(run.artifacts, ['model/model.json', 'weights.bin']);
  assert.deepEqual(run.resources, [[resource, `_resources/data_${md5('a,b\n1,2\n')}.csv`]]);
  assert.ok(existsSync(join(base, 'runs', run.resources[0][1])));
  // No temp files left behind anywhere.
  assert.deepEqual(
    (await readdir(join(runDir, '.ritual'))).filter((name) => name.endsWith('.tmp')),
    [],
  );
});

test('failed and interrupted runs record their status, stop_time and trace', async () => {
  const base = await tempDir();
  const experiment = await makeExperiment(join(base, 'src'));
  const observer = new FileStorageObserver(join(base, 'runs'));
  await observer.started(startedEvent(experiment));
  await observer.failed({ runId: 1, stopTime: new Date(), failTrace: ['Traceback:', 'Error: boom'] });
  await observer.close();
  await observer.started(startedEvent(experiment));
  await observer.interrupted({ runId: 2, stopTime: new Date(), status: 'TIMEOUT' });
  await observer.close();
  const failed = await json(join(base, 'runs', '1', 'run.json'));
  assert.equal(failed.status, 'FAILED');
  assert.deepEqual(failed.fail_trace, ['Traceback:', 'Error: boom']);
  assert.match(failed.stop_time, SACRED_TIME);
  assert.equal((await json(join(base, 'runs', '2', 'run.json'))).status, 'TIMEOUT');
});

test('forbidden artifact names are refused with a UsageError and nothing is written', async () => {
  const base = await tempDir();
  const experiment = await makeExperiment(join(base, 'src'));
  const observer = new FileStorageObserver(join(base, 'runs'));
  await observer.started(startedEvent(experiment));
  const file = join(base, 'evil.txt');
  await writeFile(file, 'evil');
  const before = await readFile(join(base, 'runs', '1', 'run.json'), 'utf8');
  const names = [
    'run.json',
    'config.json',
    'cout.txt',
    'metrics.json',
    'info.json',
    './run.json',
    'a/../info.json',
    '../x',
    'a/../../x',
    '..',
    '/tmp/x',
    '',
    '.ritual/metrics.jsonl',
    'C:\\x',
  ];
  for (const name of names) {
    await assert.rejects(
      observer.artifactAdded({ runId: 1, name, path: file }),
      UsageError,
      `name ${JSON.stringify(name)} must be refused`,
    );
  }
  assert.equal(await readFile(join(base, 'runs', '1', 'run.json'), 'utf8'), before);
  assert.equal(existsSync(join(base, 'runs', 'x')), false);
  assert.equal(existsSync(join(base, 'x')), false);
  await observer.close();
});

test('a requested id names the folder; an existing finished run with that id is refused', async () => {
  const base = await tempDir();
  const experiment = await makeExperiment(join(base, 'src'));
  const observer = new FileStorageObserver(join(base, 'runs'));
  assert.equal(await observer.started(startedEvent(experiment, { runId: 17 })), 17);
  await observer.completed({ runId: 17, stopTime: new Date(), result: null });
  await observer.close();
  assert.ok(existsSync(join(base, 'runs', '17', 'run.json')));
  await assert.rejects(observer.started(startedEvent(experiment, { runId: 17 })), UsageError);
  await assert.rejects(observer.started(startedEvent(experiment, { runId: '../escape' })), UsageError);
  // A name from --id is a folder too; automatic ids ignore it and continue after the highest number.
  assert.equal(await observer.started(startedEvent(experiment, { runId: 'baseline' })), 'baseline');
  await observer.completed({ runId: 'baseline', stopTime: new Date(), result: 2 });
  await observer.close();
  assert.equal(await observer.started(startedEvent(experiment)), 18);
  await observer.close();
  const store = await FileRunStore.open(join(base, 'runs'));
  assert.equal((await store.get('baseline')).result, 2);
  assert.deepEqual(
    (await store.find({}, { sort: { start_time: 1, _id: 1 } })).map((r) => r._id).sort(),
    [17, 18, 'baseline'].sort(),
  );
});

test('a queued run stores config, run.json (QUEUED, queue_time) and sources, and can be started later under its id', async () => {
  const base = await tempDir();
  const experiment = await makeExperiment(join(base, 'src'));
  const observer = new FileStorageObserver(join(base, 'runs'));
  const queueTime = new Date('2026-11-27T09:00:00.5Z');
  const id = await observer.queued({
    runId: null,
    experiment,
    command: 'main',
    host,
    queueTime,
    config: { lr: 0.1 },
    meta,
  });
  await observer.close();
  assert.equal(id, 1);
  const run = await json(join(base, 'runs', '1', 'run.json'));
  assert.equal(run.status, 'QUEUED');
  assert.equal(run.meta.queue_time, '2026-11-27T09:00:00.500000');
  assert.equal(run.command, 'main');
  assert.deepEqual(run.meta.config_updates, { lr: 0.01 });
  assert.ok(existsSync(join(base, 'runs', run.experiment.sources[0][1])));
  assert.deepEqual(await json(join(base, 'runs', '1', 'config.json')), { lr: 0.1 });
  const store = await FileRunStore.open(join(base, 'runs'));
  const [stored] = await store.find({ status: 'QUEUED' });
  assert.ok(stored?.meta.queue_time instanceof Date);

  assert.equal(await observer.started(startedEvent(experiment, { runId: 1, config: { lr: 0.1 } })), 1);
  await observer.close();
  assert.equal((await json(join(base, 'runs', '1', 'run.json'))).status, 'RUNNING');
});

test("NaN and Infinity: JSON files carry Sacred's bare tokens, the store returns the exact values", async () => {
  const base = await tempDir();
  const experiment = await makeExperiment(join(base, 'src'));
  const observer = new FileStorageObserver(join(base, 'runs'));
  await observer.started(startedEvent(experiment));
  const now = Date.now();
  await observer.logMetrics({
    runId: 1,
    info: {},
    metrics: [
      { name: 'loss', steps: [0, 1, 2], values: [Number.NaN, Infinity, -Infinity], timestamps: [now, now, now] },
    ],
  });
  await observer.completed({ runId: 1, stopTime: new Date(), result: Number.NaN });
  await observer.close();
  const metricsText = await readFile(join(base, 'runs', '1', 'metrics.json'), 'utf8');
  assert.match(metricsText, /"values": \[\n {6}NaN,\n {6}Infinity,\n {6}-Infinity\n {4}\]/);
  const runText = await readFile(join(base, 'runs', '1', 'run.json'), 'utf8');
  assert.match(runText, /\n {2}"result": NaN,\n/);
  assert.ok(Number.isNaN((parseSacredJson(runText) as { result: number }).result));
  const store = await FileRunStore.open(join(base, 'runs'));
  const [series] = await store.metrics(1, 'loss');
  assert.deepEqual(series?.values, [Number.NaN, Infinity, -Infinity]);
  // Sacred's own files carry bare tokens; our reader accepts them.
  assert.deepEqual(parseSacredJson('{"a": [NaN, Infinity, -Infinity, "NaN"]}'), {
    a: [Number.NaN, Infinity, -Infinity, 'NaN'],
  });
  assert.equal(formatSacredJson({ b: [], a: {} }), '{\n  "a": {},\n  "b": []\n}');
});

test('a long run: metrics.json is refreshed only when the points doubled, stays valid JSON, and is complete at the end', async () => {
  const base = await tempDir();
  const experiment = await makeExperiment(join(base, 'src'));
  const observer = new FileStorageObserver(join(base, 'runs'));
  await observer.started(startedEvent(experiment));
  const metricsPath = join(base, 'runs', '1', 'metrics.json');
  const batch = (from: number, count: number) => ({
    name: 'loss',
    steps: Array.from({ length: count }, (_, i) => from + i),
    values: Array.from({ length: count }, (_, i) => 1 / (from + i + 1)),
    timestamps: Array.from({ length: count }, () => 1_800_000_000_000),
  });
  await observer.logMetrics({ runId: 1, info: {}, metrics: [batch(0, SMALL_RUN_POINTS + 5000)] });
  await observer.heartbeat({ runId: 1, info: {}, capturedOutDelta: '', beatTime: new Date(), result: null });
  // The first flush is a doubling (from 0): wait for its background rewrite, then append less than that.
  const first = SMALL_RUN_POINTS + 5000;
  await eventually(async () => (await json(metricsPath)).loss?.steps.length === first, 'the first rewrite lands');
  await observer.logMetrics({ runId: 1, info: {}, metrics: [batch(first, 100)] });
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal((await json(metricsPath)).loss.steps.length, first, 'no O(n) rewrite for 100 new points');
  const store = await FileRunStore.open(join(base, 'runs'));
  assert.equal(
    (await store.metrics(1, 'loss'))[0]?.steps.length,
    first + 100,
    'the store sees every point through the log',
  );
  await observer.completed({ runId: 1, stopTime: new Date(), result: 1 });
  await observer.close();
  const final = await json(metricsPath);
  assert.equal(final.loss.steps.length, first + 100);
  assert.equal(final.loss.steps.at(-1), first + 99);
  // A clean end keeps no second copy: the log is gone, and the store reads every point from metrics.json.
  assert.equal(existsSync(join(base, 'runs', '1', '.ritual', 'metrics.jsonl')), false);
  const read = (await store.metrics(1, 'loss'))[0]!;
  assert.equal(read.steps.length, first + 100);
  for (let i = 0; i < first + 100; i++) {
    if (read.steps[i] !== i || read.values[i] !== 1 / (i + 1))
      assert.fail(`point ${i}: ${read.steps[i]}, ${read.values[i]}`);
  }
});

test('when metrics.json cannot be written, the end status is still recorded and the error still raised', async () => {
  const base = await tempDir();
  const experiment = await makeExperiment(join(base, 'src'));
  const observer = new FileStorageObserver(join(base, 'runs'));
  await observer.started(startedEvent(experiment));
  const runDir = join(base, 'runs', '1');
  const { mkdir, rm } = await import('node:fs/promises');
  // A folder where metrics.json should be: every rename over it fails.
  await rm(join(runDir, 'metrics.json'));
  await mkdir(join(runDir, 'metrics.json', 'blocker'), { recursive: true });
  await observer.logMetrics({
    runId: 1,
    info: {},
    metrics: [{ name: 'loss', steps: [0], values: [1], timestamps: [Date.now()] }],
  });
  await assert.rejects(
    observer.completed({ runId: 1, stopTime: new Date(), result: 1 }),
    /metrics\.json|EISDIR|directory/i,
  );
  await observer.close();
  const run = await json(join(runDir, 'run.json'));
  assert.equal(run.status, 'COMPLETED');
  assert.equal(run.result, 1);
  const store = await FileRunStore.open(join(base, 'runs'));
  assert.ok(existsSync(join(runDir, '.ritual', 'metrics.jsonl')), 'an end without metrics.json keeps the log');
  assert.deepEqual((await store.metrics(1, 'loss'))[0]?.values, [1], 'the points are safe in the log');
});

test('run ids: highest numeric folder + 1; a file squatting on the next number is stepped over', async () => {
  const base = await tempDir();
  const experiment = await makeExperiment(join(base, 'src'));
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(base, 'runs', '2'), { recursive: true });
  await mkdir(join(base, 'runs', 'notes'));
  await writeFile(join(base, 'runs', '3'), 'not a run');
  const observer = new FileStorageObserver(join(base, 'runs'));
  assert.equal(await observer.started(startedEvent(experiment)), 4);
  await observer.close();
  assert.equal(await readFile(join(base, 'runs', '3'), 'utf8'), 'not a run');
});

test('a source file that vanished before the run started is a BackendError naming it', async () => {
  const base = await tempDir();
  const experiment = await makeExperiment(join(base, 'src'));
  const { rm } = await import('node:fs/promises');
  await rm(join(base, 'src', 'lib', 'model.js'));
  const observer = new FileStorageObserver(join(base, 'runs'));
  await assert.rejects(
    observer.started(startedEvent(experiment)),
    (error: Error) => error instanceof BackendError && error.message.includes('model.js'),
  );
  await observer.close();
  assert.deepEqual(
    (await readdir(join(base, 'runs'))).filter((name) => /^\d+$/.test(name)),
    [],
    'no half-made run folder is left',
  );
});

test('a beat rewrites info.json only when the info changed, and run.json every time', async () => {
  const base = await tempDir();
  const experiment = await makeExperiment(join(base, 'src'));
  const observer = new FileStorageObserver(join(base, 'runs'));
  await observer.started(startedEvent(experiment));
  const runDir = join(base, 'runs', '1');
  // Every write is a temp file renamed over the old one: a new inode means the file was rewritten.
  const inode = async (name: string) => (await stat(join(runDir, name))).ino;
  const beat = (info: { note: string }, seconds: number) =>
    observer.heartbeat({
      runId: 1,
      info,
      capturedOutDelta: '',
      beatTime: new Date(1_800_000_000_000 + seconds * 1000),
      result: null,
    });

  await beat({ note: 'a' }, 1);
  const [info1, run1] = [await inode('info.json'), await inode('run.json')];
  await beat({ note: 'a' }, 2);
  assert.equal(await inode('info.json'), info1, 'the same info is not written again');
  assert.notEqual(await inode('run.json'), run1, 'run.json carries the new heartbeat time');
  assert.match((await json(join(runDir, 'run.json'))).heartbeat, /^2027-01-15T08:00:02\.000000$/);
  await beat({ note: 'b' }, 3);
  assert.notEqual(await inode('info.json'), info1);
  assert.deepEqual(await json(join(runDir, 'info.json')), { note: 'b' });
  await observer.completed({ runId: 1, stopTime: new Date(1_800_000_004_000), result: null });
});
