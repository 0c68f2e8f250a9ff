/**
 * One MongoObserver observing two runs in one process (an Experiment run twice, as a notebook or a test
 * does): both runs are stored whole, and the process exits by itself afterwards. It used to stay alive:
 * the observer was marked closed after the first run, so the second run's close() returned at once and
 * its uploader's connection was never closed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Far more than two tiny runs take (about a second) even on a busy machine; a process still alive is stuck. */
const EXIT_WITHIN_MS = 60_000;
const POINTS = 50;

let server: MongoTestServer;
let work = '';

before(async () => {
  server = await startMongoServer();
  work = await mkdtemp(join(tmpdir(), 'ritual-mongo-reuse-'));
});

after(async () => {
  await server?.dispose();
  await rm(work, { recursive: true, force: true });
});

test('a MongoObserver reused for two runs stores both and lets the process exit', async () => {
  const journal = join(work, 'journal');
  const script = `
    import { Experiment } from '@ritual/core';
    import { MongoObserver } from '@ritual/observers';
    const ex = new Experiment('reuse').config({ k: 0 }).main(async ({ config, run }) => {
      for (let i = 0; i < ${POINTS}; i++) run.logScalar('x', i + config.k * 1000, i);
      return config.k;
    });
    ex.observe(new MongoObserver({ url: ${JSON.stringify(server.url)}, dbName: 'reuse', journalDir: ${JSON.stringify(journal)} }));
    for (const k of [1, 2]) await ex.run({ configUpdates: { k }, options: { loglevel: 'ERROR', systemInterval: 0 } });
    console.log('both runs ended');
  `;
  const child = spawn(
    process.execPath,
    ['--conditions=@ritual/source', '--import', 'tsx', '--input-type=module', '-e', script],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_WITHIN_MS);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  assert.match(output, /both runs ended/);
  assert.deepEqual(
    [code, signal],
    [0, null],
    `the process did not exit by itself within ${EXIT_WITHIN_MS} ms:\n${output}`,
  );

  const client = await new MongoClient(server.url).connect();
  try {
    const db = client.db('reuse');
    const runs = await db.collection('runs').find({}).sort({ _id: 1 }).toArray();
    assert.deepEqual(
      runs.map((run) => [run._id, run.status, run.result]),
      [
        [1, 'COMPLETED', 1],
        [2, 'COMPLETED', 2],
      ],
    );
    for (const run of runs) {
      const [metric] = await db.collection('metrics').find({ run_id: run._id, name: 'x' }).toArray();
      const k = run.result as number;
      assert.deepEqual(
        metric?.steps,
        Array.from({ length: POINTS }, (_, i) => i),
      );
      assert.deepEqual(
        metric?.values,
        Array.from({ length: POINTS }, (_, i) => i + k * 1000),
      );
    }
  } finally {
    await client.close();
  }
  // both journals were checked against the stored runs and removed
  assert.deepEqual(await readdir(journal).catch(() => []), []);
});
