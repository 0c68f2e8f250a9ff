import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Double, Int32, MongoClient, ObjectId } from 'mongodb';
import { readFile, readdir } from 'node:fs/promises';
import { RunNotFoundError, UsageError } from '@ritual/core';
import { runSync } from '@ritual/observers';
import { MongoObserver } from '../../packages/observers/src/mongo/observer.js';
import { MongoRunStore } from '../../packages/observers/src/mongo/store.js';
import { parseMongoSpec, redactMongoUrl } from '../../packages/observers/src/mongo/target.js';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';
import { driveRun, startedEvent } from '../support/mongo-run-events.js';

let server: MongoTestServer;
let client: MongoClient;
let work: string;

before(async () => {
  server = await startMongoServer();
  client = await new MongoClient(server.url, { promoteValues: false }).connect();
  work = await mkdtemp(join(tmpdir(), 'ritual-mongo-obs-'));
});
after(async () => {
  await client?.close(true);
  await server?.dispose();
  await rm(work, { recursive: true, force: true });
});

function observer(dbName: string, extra: Partial<ConstructorParameters<typeof MongoObserver>[0]> = {}): MongoObserver {
  return new MongoObserver({
    url: server.url,
    dbName,
    journalDir: join(work, 'journal', dbName),
    log: () => {},
    ...extra,
  });
}

describe('MongoObserver writes Sacred documents', () => {
  test('runs document: field names, BSON types, numeric ids', async () => {
    const first = await driveRun(observer('schema'), { workDir: join(work, 'schema') });
    const second = await driveRun(observer('schema'), { workDir: join(work, 'schema') });
    assert.equal(first, 1);
    assert.equal(second, 2);
    const run = await client
      .db('schema')
      .collection('runs')
      .findOne({ _id: 1 as never });
    assert.ok(run);
    assert.ok(run._id instanceof Int32, 'numeric _id');
    assert.deepEqual(
      Object.keys(run).sort(),
      [
        '_id',
        'artifacts',
        'captured_out',
        'command',
        'config',
        'experiment',
        'format',
        'heartbeat',
        'host',
        'info',
        'meta',
        'resources',
        'result',
        'start_time',
        'status',
        'stop_time',
      ].sort(),
    );
    assert.equal(run.format, 'MongoObserver-0.7.0');
    assert.equal(run.status, 'COMPLETED');
    for (const field of ['start_time', 'heartbeat', 'stop_time'])
      assert.ok(run[field] instanceof Date, `${field} is a BSON Date`);
    assert.ok(run.result instanceof Double);
    assert.equal(run.captured_out, Array.from({ length: 5 }, (_, i) => `beat ${i} lösung ✓\n`).join(''));
    assert.deepEqual(Object.keys(run.experiment).sort(), [
      'base_dir',
      'dependencies',
      'mainfile',
      'name',
      'repositories',
      'sources',
    ]);
    const sources = run.experiment.sources as Array<[string, ObjectId]>;
    assert.deepEqual(
      sources.map(([path]) => path),
      ['train.ts', 'model/net.ts'],
    );
    assert.ok(sources.every(([, id]) => id instanceof ObjectId));
    const files = client.db('schema').collection('fs.files');
    const sourceFile = await files.findOne({ _id: sources[0]![1] });
    assert.match(String(sourceFile?.md5), /^[0-9a-f]{32}$/);
    // unchanged sources are stored once and reused by the next run
    const run2 = await client
      .db('schema')
      .collection('runs')
      .findOne({ _id: 2 as never });
    assert.deepEqual(run2?.experiment.sources, run.experiment.sources);
    assert.equal(Number(await files.countDocuments({ filename: { $not: /^artifact:/ } })), 2);
    // artifacts
    assert.equal(run.artifacts.length, 1);
    assert.equal(run.artifacts[0].name, 'model/model.json');
    const artifact = await files.findOne({ _id: run.artifacts[0].file_id });
    assert.equal(artifact?.filename, 'artifact://runs/1/model/model.json');
    assert.equal(artifact?.contentType, 'application/json');
    assert.deepEqual(artifact?.metadata, { epoch: new Int32(1) });
    // metrics
    const metrics = await client
      .db('schema')
      .collection('metrics')
      .find({ run_id: 1 as never })
      .toArray();
    assert.equal(metrics.length, 2);
    const loss = metrics.find((m) => m.name === 'train.loss')!;
    assert.deepEqual(Object.keys(loss).sort(), ['_id', 'name', 'run_id', 'steps', 'timestamps', 'values']);
    assert.equal(loss.steps.length, 50);
    assert.ok(
      loss.values.every((v: unknown) => v instanceof Double),
      'values are doubles',
    );
    assert.ok(Number.isNaN(loss.values[7].valueOf()), 'NaN survives');
    assert.ok(loss.timestamps.every((t: unknown) => t instanceof Date));
    assert.deepEqual(
      loss.steps.map(Number),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(run.info.metrics, [
      { name: 'train.loss', id: loss._id.toHexString() },
      { name: 'train.acc', id: metrics.find((m) => m.name === 'train.acc')!._id.toHexString() },
    ]);
    assert.equal(run.info.custom, 'value');
    assert.equal(run.meta.command, 'main');
  });
});

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

describe('MongoRunStore reads runs back', () => {
  test('find with server-side filters, get, metrics, artifacts', async () => {
    await driveRun(observer('store'), { workDir: join(work, 'store') });
    await driveRun(observer('store'), { workDir: join(work, 'store'), end: 'failed' });
    const store = await MongoRunStore.open(`${server.url}/store`);
    try {
      assert.equal(store.location, `${server.url}/store`);
      const failed = await store.find({ status: 'FAILED' });
      assert.deepEqual(
        failed.map((run) => run._id),
        [2],
      );
      assert.deepEqual(failed[0]!.fail_trace, ['Traceback:', 'Error: boom']);
      const sorted = await store.find({ 'config.lr': { $lt: 0.01 } }, { sort: { _id: -1 }, limit: 1 });
      assert.deepEqual(
        sorted.map((run) => run._id),
        [2],
      );
      assert.equal(sorted[0]!.captured_out, undefined, 'listings leave the output out');
      const run = await store.get('1');
      assert.equal(run._id, 1);
      assert.equal(run.status, 'COMPLETED');
      assert.ok(run.start_time instanceof Date);
      assert.deepEqual(run.artifacts, ['model/model.json']);
      assert.match(run.experiment.sources[0]![1], /^[0-9a-f]{24}$/);
      assert.ok(run.captured_out?.startsWith('beat 0 lösung ✓\nbeat 1'));
      const metrics = await store.metrics(1);
      assert.deepEqual(
        metrics.map((m) => m.name),
        ['train.loss', 'train.acc'],
      );
      assert.equal(metrics[0]!.steps.length, 50);
      assert.ok(Number.isNaN(metrics[0]!.values[7]));
      assert.equal(metrics[1]!.values[0], 2);
      assert.equal(typeof metrics[0]!.timestamps[0], 'number');
      assert.deepEqual(
        (await store.metrics(1, 'train.acc')).map((m) => m.name),
        ['train.acc'],
      );
      const artifacts = await store.artifacts(1);
      assert.deepEqual(artifacts, [{ name: 'model/model.json', size: 19, contentType: 'application/json' }]);
      assert.equal(await streamText(await store.openArtifact(1, 'model/model.json')), '{"weights":[1,2,3]}');
      await assert.rejects(store.get(99), RunNotFoundError);
      await assert.rejects(store.openArtifact(1, 'nope'), UsageError);
    } finally {
      await store.close();
    }
  });

  test('16 MB safeguards: metric series continue in follow-on documents, long output moves to GridFS; readers get it whole', async () => {
    const limits = { maxPointsPerMetricDocument: 12, capturedOutSegmentChars: 40, infoInlineChars: 100 };
    const id = await driveRun(observer('bounded', { limits }), { workDir: join(work, 'bounded'), outputPerBeat: 30 });
    const db = client.db('bounded');
    const parts = await db
      .collection('metrics')
      .find({ run_id: id as never, name: 'train.loss' })
      .toArray();
    assert.equal(parts.length, 5, '50 points, 12 per document');
    assert.deepEqual(parts.map((part) => (part.part === undefined ? 0 : Number(part.part))).sort(), [0, 1, 2, 3, 4]);
    assert.ok(parts.every((part) => part.steps.length <= 12));
    const run = await db.collection('runs').findOne({ _id: id as never });
    assert.ok(run);
    assert.ok(run.captured_out.length <= 80, `inline tail is bounded (${run.captured_out.length})`);
    assert.ok(run.captured_out_overflow.length >= 2);
    const file = await db.collection('fs.files').findOne({ _id: run.captured_out_overflow[0] });
    assert.equal(file?.filename, `captured_out://runs/${id}/0`);
    // info (here {custom, beat, metrics}, over 100 characters) moved to GridFS; the document keeps info.metrics
    assert.deepEqual(Object.keys(run.info), ['metrics']);
    assert.equal(run.info.metrics.length, 2);
    const infoFile = await db.collection('fs.files').findOne({ _id: run.info_overflow });
    assert.equal(infoFile?.filename, `info://runs/${id}`);
    const store = await MongoRunStore.open(`${server.url}/bounded`);
    try {
      const whole = await store.get(id!);
      assert.equal(whole.info.custom, 'value');
      assert.equal(whole.info.beat, 4);
      assert.equal((whole.info.metrics as unknown[]).length, 2);
      const expected = Array.from({ length: 5 }, (_, beat) => `beat ${beat} lösung ✓\n`.padEnd(30, '.')).join('');
      assert.equal((await store.get(id!)).captured_out, expected);
      const [loss] = await store.metrics(id!, 'train.loss');
      assert.deepEqual(
        loss!.steps,
        Array.from({ length: 50 }, (_, i) => i),
      );
    } finally {
      await store.close();
    }
  });
});

describe('MongoObserver details', () => {
  test('passwords never reach a name, a log line, the journal or a document', async () => {
    const secretUrl = 'mongodb://ritual:s3cret-pw@127.0.0.1:9/?authSource=admin';
    assert.equal(redactMongoUrl(secretUrl), 'mongodb://ritual:***@127.0.0.1:9/?authSource=admin');
    const logs: string[] = [];
    const journalDir = join(work, 'journal', 'secret');
    const dead = new MongoObserver({
      url: secretUrl,
      dbName: 'secret',
      journalDir,
      serverSelectionTimeoutMS: 300,
      closeTimeoutMS: 500,
      log: (line) => logs.push(line),
    });
    assert.ok(dead.name.includes('ritual:***@') && !dead.name.includes('s3cret'));
    await driveRun(dead, { workDir: join(work, 'secret'), beats: 2 });
    assert.ok(logs.length > 0 && logs.every((line) => !line.includes('s3cret')), logs.join('\n'));
    const [runDir] = await readdir(journalDir);
    for (const name of ['events.jsonl', 'target.json'])
      assert.ok(!(await readFile(join(journalDir, runDir!, name), 'utf8')).includes('s3cret'), name);
    // The password is not stored, so sync must be given the URL again.
    const report = await runSync(journalDir, undefined, { write: () => {} });
    assert.equal(report.failed.length, 1);
    assert.ok(report.failed[0]!.error instanceof UsageError);
    assert.match(report.failed[0]!.error.message, /pass the full URL/);

    // The raw -m value with a password, as the Run records it in meta.options, is redacted in the document.
    const live = observer('secret');
    const event = startedEvent(join(work, 'secret'), new Date());
    event.meta.options = { '--mongo_db': secretUrl };
    event.config.db = secretUrl;
    const id = await live.started(event);
    await live.completed({ runId: id ?? null, stopTime: new Date(), result: null });
    await live.close();
    const stored = await client
      .db('secret')
      .collection('runs')
      .findOne({ _id: id as never });
    assert.ok(stored);
    const text = JSON.stringify(stored);
    assert.ok(!text.includes('s3cret'), text);
    assert.ok(text.includes('ritual:***@127.0.0.1:9'));
  });

  test("-m specs: URLs and Sacred's [host:port:]db[.collection][!priority]", async () => {
    assert.deepEqual(parseMongoSpec('mydb'), {
      url: 'mongodb://localhost:27017',
      redactedUrl: 'mongodb://localhost:27017',
      dbName: 'mydb',
      runsCollection: 'runs',
      metricsCollection: 'metrics',
    });
    const full = parseMongoSpec('db.example.org:27018:exp.my_runs!40');
    assert.equal(full.url, 'mongodb://db.example.org:27018');
    assert.equal(full.dbName, 'exp');
    assert.equal(full.runsCollection, 'my_runs');
    assert.equal(full.priority, 40);
    assert.equal(parseMongoSpec('mongodb+srv://u:p@cluster.x.net/team?retryWrites=true').dbName, 'team');
    assert.equal(parseMongoSpec('mongodb://h:1/').dbName, 'sacred');
    assert.throws(() => parseMongoSpec('not a spec!'), UsageError);
    assert.throws(() => new MongoObserver({ url: 'http://x' }), UsageError);
    const port = new URL(server.url.replace('mongodb:', 'http:')).port;
    const fromSpec = MongoObserver.fromSpec(`127.0.0.1:${port}:specdb.spec_runs!35`, {
      journalDir: join(work, 'journal', 'spec'),
      log: () => {},
    });
    assert.equal(fromSpec.priority, 35);
    assert.equal(new MongoObserver({ url: server.url }).priority, 30);
    const id = await driveRun(fromSpec, { workDir: join(work, 'spec'), beats: 1 });
    assert.equal(id, 1);
    assert.equal(Number(await client.db('specdb').collection('spec_runs').countDocuments()), 1);
    const prefixed = await driveRun(observer('prefixdb', { collectionPrefix: 'team' }), {
      workDir: join(work, 'spec'),
      beats: 1,
    });
    assert.equal(prefixed, 1);
    assert.equal(Number(await client.db('prefixdb').collection('team_runs').countDocuments()), 1);
    assert.equal(Number(await client.db('prefixdb').collection('team_metrics').countDocuments()), 2);
  });

  test('queued runs, failed and interrupted ends, string ids do not break numbering', async () => {
    const db = client.db('lifecycle');
    await db.collection('runs').insertOne({ _id: 'my-custom-id' as never, status: 'COMPLETED' });
    const queuedObserver = observer('lifecycle');
    const base = startedEvent(join(work, 'life'), new Date());
    const queueTime = new Date(Date.UTC(2026, 5, 1));
    const queuedId = await queuedObserver.queued({
      runId: null,
      experiment: base.experiment,
      command: 'main',
      host: base.host,
      queueTime,
      config: base.config,
      meta: { ...base.meta, priority: 5 },
    });
    await queuedObserver.close();
    assert.equal(queuedId, 1);
    const queued = await db.collection('runs').findOne({ _id: 1 as never });
    assert.equal(queued?.status, 'QUEUED');
    assert.deepEqual(queued?.meta.queue_time, queueTime);
    assert.equal(Number(queued?.meta.priority), 5);
    assert.equal(queued?.start_time, undefined);
    assert.equal(queued?.experiment.sources.length, 2);
    assert.equal(await driveRun(observer('lifecycle'), { workDir: join(work, 'life'), beats: 1, end: 'failed' }), 2);
    assert.equal(
      await driveRun(observer('lifecycle'), { workDir: join(work, 'life'), beats: 1, end: 'interrupted' }),
      3,
    );
    const statuses = await db
      .collection('runs')
      .find({ _id: { $in: [2, 3] } } as never)
      .sort({ _id: 1 })
      .toArray();
    assert.deepEqual(
      statuses.map((run) => run.status),
      ['FAILED', 'INTERRUPTED'],
    );
    assert.deepEqual(statuses[0]?.fail_trace, ['Traceback:', 'Error: boom']);
    assert.ok(statuses[1]?.stop_time instanceof Date);
  });
});

describe('MongoObserver edge cases', () => {
  test('a source file that vanished before the run started is left out, the run is stored', async () => {
    const event = startedEvent(join(work, 'vanish'), new Date());
    event.experiment.sources.push({
      relativePath: 'gone.ts',
      absolutePath: join(work, 'vanish', 'gone.ts'),
      md5: 'd41d8cd98f00b204e9800998ecf8427e',
    });
    const vanishing = observer('vanish');
    const id = await vanishing.started(event);
    await vanishing.completed({ runId: id ?? null, stopTime: new Date(), result: 1 });
    await vanishing.close();
    assert.equal(id, 1);
    const run = await client
      .db('vanish')
      .collection('runs')
      .findOne({ _id: 1 as never });
    assert.deepEqual(
      run?.experiment.sources.map(([path]: [string]) => path),
      ['train.ts', 'model/net.ts'],
    );
    assert.equal(run?.status, 'COMPLETED');
  });
});

describe('every operation is idempotent (retries after a lost acknowledgement)', () => {
  test('replayed starts, flushes, merged flushes, beats and artifacts leave the documents of one write', async () => {
    const { connectMongo, ensureIndexes } = await import('../../packages/observers/src/mongo/connection.js');
    const { resolveTarget } = await import('../../packages/observers/src/mongo/target.js');
    const { RunWriter } = await import('../../packages/observers/src/mongo/run-writer.js');
    const { writeFile } = await import('node:fs/promises');
    const handles = await connectMongo(resolveTarget({ url: server.url, dbName: 'idem' }));
    try {
      await ensureIndexes(handles);
      await writeFile(join(work, 'artifact.bin'), 'payload');
      const writer = new RunWriter(
        'idem-key',
        'runs',
        { filePath: (name) => join(work, name), readEvents: () => [] },
        { maxPointsPerMetricDocument: 25, capturedOutSegmentChars: 1000, infoInlineChars: 1_000_000 },
      );
      const base = startedEvent(join(work, 'idem'), new Date());
      const start = writer.plan({
        type: 'started',
        seq: 1,
        startTime: base.startTime,
        experiment: { ...base.experiment, sources: [] },
        command: 'main',
        host: base.host,
        config: base.config,
        meta: base.meta,
        requestedId: null,
        sourceFiles: [],
      });
      await start(handles);
      await start(handles);
      const flush = (seq: number, from: number) =>
        writer.plan({
          type: 'metrics',
          seq,
          metrics: [
            {
              name: 'loss',
              steps: Array.from({ length: 10 }, (_, i) => from + i),
              values: Array.from({ length: 10 }, () => 0.5),
              timestamps: Array.from({ length: 10 }, () => 0),
            },
          ],
        });
      const first = flush(2, 0);
      const second = flush(3, 10);
      const third = flush(4, 20);
      await first(handles);
      await first(handles);
      // the uploader merges never-attempted flushes; a lost acknowledgement then makes it retry each alone
      await writer.writeMergedMetrics(handles, [second.metrics!, third.metrics!]);
      await second(handles);
      await third(handles);
      await third(handles);
      const beat = writer.plan({
        type: 'heartbeat',
        seq: 5,
        beatTime: new Date(),
        info: {},
        capturedOutDelta: 'once\n',
        result: undefined,
      });
      await beat(handles);
      await beat(handles);
      const artifact = writer.plan({ type: 'artifact', seq: 6, name: 'a.bin', file: 'artifact.bin' });
      await artifact(handles);
      await artifact(handles);
      const db = client.db('idem');
      assert.equal(Number(await db.collection('runs').countDocuments()), 1);
      const run = await db.collection('runs').findOne({ _id: writer.runId as never });
      assert.equal(run?.captured_out, 'once\n');
      assert.equal(run?.artifacts.length, 1);
      assert.equal(run?.info.metrics.length, 1);
      assert.equal(Number(await db.collection('fs.files').countDocuments()), 1);
      const parts = await db.collection('metrics').find({ name: 'loss' }).toArray();
      const steps = parts
        .sort((a, b) => Number(a.part ?? 0) - Number(b.part ?? 0))
        .flatMap((part) => part.steps.map(Number));
      assert.deepEqual(
        steps,
        Array.from({ length: 30 }, (_, i) => i),
        'every point once, in order, across follow-on documents',
      );
      assert.equal(parts.length, 2);
    } finally {
      await handles.client.close(true);
    }
  });
});
