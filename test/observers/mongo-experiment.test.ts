/**
 * End to end: a real Experiment run with `-m` (URL and Sacred's spec form)
 * writes a complete Sacred run to the test server.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { MongoRunStore } from '../../packages/observers/src/mongo/store.js';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./fixtures/mongo-experiment.ts', import.meta.url));
let server: MongoTestServer;
let client: MongoClient;
let work: string;

before(async () => {
  server = await startMongoServer({ persistent: false });
  client = await new MongoClient(server.url).connect();
  work = await mkdtemp(join(tmpdir(), 'ritual-mongo-e2e-'));
});
after(async () => {
  await client?.close(true);
  await server?.dispose();
  await rm(work, { recursive: true, force: true });
});

function experiment(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--conditions=@ritual/source', '--import', 'tsx', fixture, ...args], {
    env: { ...process.env, RITUAL_JOURNAL_DIR: join(work, 'journal'), NO_COLOR: '1' },
    timeout: 120_000,
  });
}

test('ritual run -m URL: a complete Sacred run in MongoDB, readable through the store', async () => {
  await experiment(['with', 'lr=0.01', '-m', `${server.url}/e2e`, '-b', '0.1', '-c', 'first']);
  const runs = await client.db('e2e').collection('runs').find().toArray();
  assert.equal(runs.length, 1);
  const doc = runs[0]!;
  assert.equal(doc._id, 1);
  assert.equal(doc.status, 'COMPLETED');
  assert.equal(doc.format, 'MongoObserver-0.7.0');
  assert.equal(doc.config.lr, 0.01);
  assert.equal(doc.result, 0.1);
  assert.equal(doc.experiment.name, 'mongo-e2e');
  assert.ok(doc.experiment.sources.length >= 1);
  assert.match(doc.captured_out, /trained with lr=0.01/);
  assert.deepEqual(
    doc.artifacts.map((a: { name: string }) => a.name),
    ['result.json'],
  );
  assert.deepEqual(doc.info.metrics.map((m: { name: string }) => m.name).sort(), ['acc', 'loss']);
  assert.ok(doc.start_time instanceof Date && doc.stop_time instanceof Date && doc.heartbeat instanceof Date);
  const store = await MongoRunStore.open(`${server.url}/e2e`);
  try {
    const loss = (await store.metrics(1, 'loss'))[0]!;
    assert.deepEqual(
      loss.steps,
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.equal(loss.values[1], 0.005);
  } finally {
    await store.close();
  }
  assert.deepEqual(await readdir(join(work, 'journal')), [], 'the journal is gone once everything is uploaded');
});

test("-m with Sacred's host:port:db.collection spec; the next run gets the next id", async () => {
  const port = new URL(server.url.replace('mongodb:', 'http:')).port;
  await experiment(['-m', `127.0.0.1:${port}:e2e_spec.my_runs`]);
  await experiment(['-m', `127.0.0.1:${port}:e2e_spec.my_runs`]);
  const ids = (await client.db('e2e_spec').collection('my_runs').find().sort({ _id: 1 }).toArray()).map(
    (doc) => doc._id,
  );
  assert.deepEqual(ids, [1, 2]);
});
