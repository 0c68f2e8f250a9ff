// A --jobs 2 sweep stored in MongoDB (the wire-protocol test server over TCP): every run has its own
// numeric _id, its meta.sweep, its metrics; `ritual ls --sweep` reads them back from the database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';
import { runCli } from './run-cli.js';

const fixture = fileURLToPath(new URL('../fixtures/core/sweep-experiment.ts', import.meta.url));
let server: MongoTestServer;

before(async () => {
  server = await startMongoServer({ persistent: false });
});

after(async () => {
  await server?.dispose();
});

test('a --jobs 2 sweep into MongoDB: 4 runs, each with meta.sweep and its own metrics', async () => {
  const url = `${server.url}/ritual_sweep_test`;
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--conditions=@ritual/source',
    '--import',
    'tsx',
    fixture,
    '-M',
    '--jobs',
    '2',
    '--sweep-seed',
    '3',
    'with',
    'hidden=1,2,3,4',
    '-m',
    url,
  ]);
  const sweepId = /^Sweep (\w+) /m.exec(stdout)![1]!;
  const client = await MongoClient.connect(url);
  try {
    const runs = await client.db().collection('runs').find({}).sort({ _id: 1 }).toArray();
    assert.deepEqual(
      runs.map((run) => run._id),
      [1, 2, 3, 4],
    );
    assert.deepEqual(runs.map((run) => run.meta.sweep.index).sort(), [0, 1, 2, 3]);
    for (const run of runs) {
      assert.deepEqual({ ...run.meta.sweep, index: 0 }, { id: sweepId, index: 0, size: 4, seed: 3 });
      assert.equal(run.status, 'COMPLETED');
      const hidden = run.config.hidden as number;
      assert.equal(run.result, 0.1 * hidden);
      const metric = await client.db().collection('metrics').findOne({ run_id: run._id, name: 'loss' });
      assert.deepEqual(metric?.steps, [0, 1, 2]);
      assert.deepEqual(
        metric?.values,
        [1, 2, 3].map((i) => i / (3 * 0.1 * hidden)),
      );
    }
  } finally {
    await client.close();
  }
  const listed = await runCli(['ls', url, '--sweep', sweepId, '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const rows = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(rows.map((row) => row['meta.sweep.index']).sort(), [0, 1, 2, 3]);
  const none = await runCli(['ls', url, '--sweep', 'other']);
  assert.match(none.stdout, /No runs match/);
});
