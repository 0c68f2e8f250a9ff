/**
 * Nothing is lost when MongoDB is unreachable: the real test server is stopped
 * and started around a run, or is not there at all, and the documents must end
 * up equal to those of an uninterrupted run of the same script.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { main as ritual } from '../../packages/cli/src/main.js';
import { runSync } from '@ritual/observers';
import { MongoObserver, type MongoObserverOptions } from '../../packages/observers/src/mongo/observer.js';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';
import { driveRun } from '../support/mongo-run-events.js';
import { runSnapshot } from '../support/mongo-snapshot.js';

let server: MongoTestServer;
let client: MongoClient;
let work: string;
let reference: Record<string, unknown>;

const FAST = { serverSelectionTimeoutMS: 1000, closeTimeoutMS: 15_000 } satisfies Partial<MongoObserverOptions>;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function observer(
  url: string,
  dbName: string,
  logs: string[] = [],
  extra: Partial<MongoObserverOptions> = {},
): MongoObserver {
  return new MongoObserver({
    url,
    dbName,
    journalDir: join(work, 'journal', dbName),
    log: (line) => logs.push(line),
    ...FAST,
    ...extra,
  });
}

before(async () => {
  server = await startMongoServer({ persistent: true });
  client = await new MongoClient(server.url, { serverSelectionTimeoutMS: 20_000 }).connect();
  work = await mkdtemp(join(tmpdir(), 'ritual-mongo-res-'));
  // The reference run must reach the server: a cold JVM on a loaded machine can take longer than FAST's 1 s.
  const id = await driveRun(observer(server.url, 'reference', [], { serverSelectionTimeoutMS: 20_000 }), {
    workDir: join(work, 'src'),
    beats: 8,
  });
  reference = await runSnapshot(client.db('reference'), id);
});
after(async () => {
  await client?.close(true);
  await server?.dispose();
  await rm(work, { recursive: true, force: true });
});

test('the server stops mid-run and comes back: the run completes with every event', {
  skip: process.env.MONGODB_URL ? 'needs a server the test can stop' : false,
}, async () => {
  const logs: string[] = [];
  const id = await driveRun(observer(server.url, 'restart', logs), {
    workDir: join(work, 'src'),
    beats: 8,
    // The outage (beats 2 to 6, over 1.2 s) outlasts serverSelectionTimeoutMS, so writes do fail meanwhile.
    beatDelayMs: 300,
    onBeat: async (beat) => {
      if (beat === 1) await server.stop();
      if (beat === 6) await server.restart();
    },
  });
  assert.equal(id, 1);
  assert.ok(
    logs.some((line) => line.includes('MongoDB unreachable')),
    logs.join('\n'),
  );
  assert.ok(
    logs.some((line) => line.includes('reachable again')),
    logs.join('\n'),
  );
  assert.deepEqual(await runSnapshot(client.db('restart'), id), reference);
  assert.deepEqual(await readdir(join(work, 'journal', 'restart')), [], 'journal deleted once everything is uploaded');
});

test('server down for the whole run: the journal stays, ritual sync uploads it, twice is harmless', async () => {
  const port = await freePort();
  const deadUrl = `mongodb://127.0.0.1:${port}`;
  const logs: string[] = [];
  const runObserver = observer(deadUrl, 'offline', logs, { closeTimeoutMS: 3000 });
  const started = Date.now();
  const id = await driveRun(runObserver, { workDir: join(work, 'src'), beats: 8, close: false });
  assert.equal(id, undefined, 'no id without a database: another observer names the run');
  const closing = Date.now();
  await runObserver.close();
  assert.ok(Date.now() - closing < 3000 + 2500, `close is bounded (${Date.now() - closing} ms)`);
  assert.ok(Date.now() - started < 40_000);
  const hint = logs.find((line) => line.includes('ritual sync'));
  assert.ok(hint, logs.join('\n'));
  assert.match(hint, new RegExp(`ritual sync .*${deadUrl}`));

  const journalRoot = join(work, 'journal', 'offline');
  const [runDir] = await readdir(journalRoot);
  assert.ok(runDir);
  const copy = join(work, 'journal-copy');
  await cp(journalRoot, copy, { recursive: true });

  // Through the `ritual` command, as the console told the user.
  let out = '';
  const write = (text: string): boolean => ((out += text), true);
  const code = await ritual(['sync', journalRoot, server.url], { stdout: { write }, stderr: { write }, color: false });
  assert.equal(code, 0, out);
  assert.match(out, /Uploaded run 1 /);
  const runId = 1;
  assert.deepEqual(await runSnapshot(client.db('offline'), runId), reference);
  assert.deepEqual(await readdir(journalRoot), []);

  // Replaying the same journal again (as after a sync whose acknowledgements were lost)
  // must not duplicate the run, a metric point, an artifact or an info.metrics entry.
  const again = await runSync(copy, server.url, { write: () => {} });
  assert.equal(again.uploaded[0]?.runId, 1);
  const db = client.db('offline');
  assert.equal(await db.collection('runs').countDocuments(), 1);
  assert.equal(await db.collection('metrics').countDocuments(), 2);
  assert.equal(await db.collection('fs.files').countDocuments(), 3);
  assert.deepEqual(await runSnapshot(db, 1), reference);
});

test('server down at start, up later: the run starts at once and is uploaded when it appears', {
  skip: process.env.MONGODB_URL ? 'needs a server the test can start' : false,
}, async () => {
  const port = await freePort();
  const url = `mongodb://127.0.0.1:${port}`;
  let late: MongoTestServer | null = null;
  const startedAt = Date.now();
  let firstBeatAt = 0;
  try {
    const runObserver = observer(url, 'late', [], { closeTimeoutMS: 20_000 });
    await driveRun(runObserver, {
      workDir: join(work, 'src'),
      beats: 8,
      onBeat: async (beat) => {
        if (beat === 0) firstBeatAt = Date.now();
        if (beat === 3) late = await startMongoServer({ port });
      },
    });
    assert.ok(firstBeatAt - startedAt < 5000, `training began after ${firstBeatAt - startedAt} ms`);
    const lateClient = await new MongoClient(url).connect();
    try {
      assert.deepEqual(await runSnapshot(lateClient.db('late'), 1), reference);
    } finally {
      await lateClient.close(true);
    }
  } finally {
    await (late as MongoTestServer | null)?.dispose();
  }
});
