import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Double, Int32, MongoClient, ObjectId } from 'mongodb';
import { MongoObserver } from '../../packages/observers/src/mongo/observer.js';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';
import { driveRun } from '../support/mongo-run-events.js';

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
  return new MongoObserver({ url: server.url, dbName, journalDir: join(work, 'journal', dbName), log: () => {}, ...extra });
}

describe('MongoObserver writes Sacred documents', () => {
  test('runs document: field names, BSON types, numeric ids', async () => {
    const first = await driveRun(observer('schema'), { workDir: join(work, 'schema') });
    const second = await driveRun(observer('schema'), { workDir: join(work, 'schema') });
    assert.equal(first, 1);
    assert.equal(second, 2);
    const run = await client.db('schema').collection('runs').findOne({ _id: 1 as never });
    assert.ok(run);
    assert.ok(run._id instanceof Int32, 'numeric _id');
    assert.deepEqual(Object.keys(run).sort(), ['_id', 'artifacts', 'captured_out', 'command', 'config', 'experiment', 'format', 'heartbeat', 'host', 'info', 'meta', 'resources', 'result', 'start_time', 'status', 'stop_time'].sort());
    assert.equal(run.format, 'MongoObserver-0.7.0');
    assert.equal(run.status, 'COMPLETED');
    for (const field of ['start_time', 'heartbeat', 'stop_time']) assert.ok(run[field] instanceof Date, `${field} is a BSON Date`);
    assert.ok(run.result instanceof Double);
    assert.equal(run.captured_out, Array.from({ length: 5 }, (_, i) => `beat ${i} lösung ✓\n`).join(''));
    assert.deepEqual(Object.keys(run.experiment).sort(), ['base_dir', 'dependencies', 'mainfile', 'name', 'repositories', 'sources']);
    const sources = run.experiment.sources as Array<[string, ObjectId]>;
    assert.deepEqual(sources.map(([path]) => path), ['train.ts', 'model/net.ts']);
    assert.ok(sources.every(([, id]) => id instanceof ObjectId));
    const files = client.db('schema').collection('fs.files');
    const sourceFile = await files.findOne({ _id: sources[0]![1] });
    assert.match(String(sourceFile?.md5), /^[0-9a-f]{32}$/);
    // unchanged sources are stored once and reused by the next run
    const run2 = await client.db('schema').collection('runs').findOne({ _id: 2 as never });
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
    const metrics = await client.db('schema').collection('metrics').find({ run_id: 1 as never }).toArray();
    assert.equal(metrics.length, 2);
    const loss = metrics.find((m) => m.name === 'train.loss')!;
    assert.deepEqual(Object.keys(loss).sort(), ['_id', 'name', 'run_id', 'steps', 'timestamps', 'values']);
    assert.equal(loss.steps.length, 50);
    assert.ok(loss.values.every((v: unknown) => v instanceof Double), 'values are doubles');
    assert.ok(Number.isNaN(loss.values[7].valueOf()), 'NaN survives');
    assert.ok(loss.timestamps.every((t: unknown) => t instanceof Date));
    assert.deepEqual(loss.steps.map(Number), Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(run.info.metrics, [
      { name: 'train.loss', id: loss._id.toHexString() },
      { name: 'train.acc', id: metrics.find((m) => m.name === 'train.acc')!._id.toHexString() },
    ]);
    assert.equal(run.info.custom, 'value');
    assert.equal(run.meta.command, 'main');
  });
});
