import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { runSync } from '@ritual/observers';
import { startMongoServer } from '../support/mongo.js';

const fixture = fileURLToPath(new URL('../fixtures/core/concurrent-runs-experiment.ts', import.meta.url));
const PROCESSES = Number(process.env.RITUAL_TEST_PROCESSES ?? 20);
const RUNS_EACH = Number(process.env.RITUAL_TEST_RUNS_EACH ?? 10);

test(`${PROCESSES * RUNS_EACH} concurrent runs (${PROCESSES} processes x ${RUNS_EACH}) into one folder and one database: distinct ids, complete runs in both (after ritual sync of what the database could not take in time)`, async () => {
  const server = await startMongoServer({ persistent: false });
  const work = mkdtempSync(join(tmpdir(), 'ritual-concurrent-'));
  const runs = join(work, 'runs');
  const mongoUrl = `${server.url}/concurrent`;
  try {
    const children = Array.from({ length: PROCESSES }, (_, p) => {
      const child = spawn(
        process.execPath,
        ['--conditions=@ritual/source', '--import', import.meta.resolve('tsx'), fixture],
        {
          cwd: work,
          env: {
            ...process.env,
            RITUAL_TEST_COUNT: String(RUNS_EACH),
            RITUAL_TEST_OFFSET: String(p * RUNS_EACH),
            RITUAL_TEST_RUNS: runs,
            RITUAL_TEST_MONGO: mongoUrl,
            RITUAL_JOURNAL_DIR: join(work, 'undelivered'),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.stderr.on('data', (chunk) => (out += chunk));
      // A child that never exits (a handle left open) must fail the test, not hang it.
      const guard = setTimeout(() => child.kill('SIGKILL'), 240_000);
      return new Promise<string>((resolve) =>
        child.on('close', (code, signal) => {
          clearTimeout(guard);
          resolve(`${signal === 'SIGKILL' ? 'did not exit within 240 s (killed)' : code}\n${out}`);
        }),
      );
    });
    for (const result of await Promise.all(children)) assert.match(result, /^0\n/, result);

    const total = PROCESSES * RUNS_EACH;
    const folders = readdirSync(runs).filter((name) => /^\d+$/.test(name));
    assert.equal(folders.length, total, 'one folder per run');
    const fileIndexes = new Set<number>();
    for (const folder of folders) {
      const run = JSON.parse(readFileSync(join(runs, folder, 'run.json'), 'utf8'));
      assert.equal(run.status, 'COMPLETED', `run ${folder}`);
      const metrics = JSON.parse(readFileSync(join(runs, folder, 'metrics.json'), 'utf8'));
      assert.equal(metrics.loss.values.length, 20, `metrics of run ${folder}`);
      fileIndexes.add(run.result);
    }
    assert.equal(fileIndexes.size, total, 'every run is there once');

    // On a loaded machine the database may not keep up; what a run could not
    // upload before its process ended waits in its journal: upload it now.
    const sync = await runSync(join(work, 'undelivered'), mongoUrl, { write: () => true });
    assert.deepEqual(sync.failed, [], 'every journal uploads');

    const client = await new MongoClient(mongoUrl).connect();
    try {
      const docs = await client
        .db()
        .collection('runs')
        .find({}, { projection: { _id: 1, status: 1, result: 1 } })
        .toArray();
      assert.equal(docs.length, total);
      assert.equal(new Set(docs.map((d) => d._id)).size, total, 'distinct numeric ids');
      assert.ok(docs.every((d) => typeof d._id === 'number' && d.status === 'COMPLETED'));
      assert.equal(new Set(docs.map((d) => d.result)).size, total);
      // The experiment's own metric: runs slowed past 10 s by a loaded machine also store system.* samples.
      const points = await client
        .db()
        .collection('metrics')
        .aggregate([{ $match: { name: 'loss' } }, { $project: { n: { $size: '$values' } } }])
        .toArray();
      assert.equal(
        points.reduce((sum, d) => sum + (d.n as number), 0),
        total * 20,
        'every metric point reached the database',
      );
    } finally {
      await client.close();
    }
  } finally {
    await server.dispose();
  }
});
