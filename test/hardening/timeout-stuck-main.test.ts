/**
 * `--timeout` with a main that never yields (a synchronous infinite loop): the
 * ordinary timer cannot fire, so the watchdog thread records TIMEOUT in every
 * backend itself (file run folder, MongoDB through its journal) and kills the
 * process. Points flushed before main got stuck are all kept.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { FileRunStore } from '../../packages/observers/src/file/store.js';
import { MongoRunStore } from '../../packages/observers/src/mongo/store.js';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';

const fixture = fileURLToPath(new URL('../fixtures/core/stuck-main-experiment.ts', import.meta.url));
let server: MongoTestServer;
let work: string;

before(async () => {
  server = await startMongoServer({ persistent: false });
  work = await mkdtemp(join(tmpdir(), 'ritual-stuck-'));
});
after(async () => {
  await server?.dispose();
  await rm(work, { recursive: true, force: true });
});

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/** The child's end; `ready` resolves when main has entered its endless loop. */
function runStuck(args: string[], journalDir: string): Promise<Child> & { ready: Promise<void> } {
  const started = Date.now();
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const child = spawn(process.execPath, ['--conditions=@ritual/source', '--import', 'tsx', fixture, ...args], {
    env: { ...process.env, RITUAL_JOURNAL_DIR: journalDir, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('READY')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const done = new Promise<Child>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      markReady();
      resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - started });
    }),
  );
  return Object.assign(done, { ready });
}

test('a main that never yields under --timeout ends as TIMEOUT, with its stop time, in the run folder and in MongoDB', async () => {
  const runs = join(work, 'runs');
  const journal = join(work, 'journal');
  const child = await runStuck(['-F', runs, '-m', `${server.url}/stuck`, '-b', '0.05', '--timeout', '1'], journal);

  assert.equal(child.signal, 'SIGKILL', child.stderr);
  assert.match(child.stdout, /READY/);
  assert.ok(child.elapsedMs < 60_000, `killed long before the loop would end (${child.elapsedMs} ms)`);
  assert.match(
    child.stderr,
    /main has not yielded to the event loop for 10 s after --timeout 1 expired[^\n]*recording run 1 as TIMEOUT/,
  );
  assert.match(child.stderr, /TIMEOUT recorded in .*run\.json/);
  assert.match(child.stderr, /TIMEOUT of run 1 recorded in MongoDB/);

  const fileStore = await FileRunStore.open(runs);
  const fromFiles = await fileStore.get(1);
  assert.equal(fromFiles.status, 'TIMEOUT');
  assert.ok(fromFiles.stop_time && fromFiles.heartbeat && fromFiles.start_time);
  assert.ok(fromFiles.stop_time.getTime() >= fromFiles.heartbeat.getTime(), 'stopped after the last heartbeat');
  assert.ok(fromFiles.stop_time.getTime() - fromFiles.start_time.getTime() >= 10_000, 'stopped after the grace period');
  // Sacred's readers get every flushed point from metrics.json itself.
  const metricsJson = JSON.parse(readFileSync(join(runs, '1', 'metrics.json'), 'utf8')) as Record<
    string,
    { steps: number[]; values: number[]; timestamps: string[] }
  >;
  assert.deepEqual(
    metricsJson.loss?.steps,
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.equal(metricsJson.loss?.values[49], 1 / 50);
  assert.equal(metricsJson.loss?.timestamps.length, 50);

  const client = await new MongoClient(server.url).connect();
  try {
    const doc = await client
      .db('stuck')
      .collection('runs')
      .findOne({ _id: 1 as never });
    assert.ok(doc, 'the run is in MongoDB');
    assert.equal(doc.status, 'TIMEOUT');
    assert.ok(doc.stop_time instanceof Date);
    assert.equal(doc.stop_time.getTime(), fromFiles.stop_time.getTime(), 'one stop time for every backend');
  } finally {
    await client.close(true);
  }
  const mongoStore = await MongoRunStore.open(`${server.url}/stuck`);
  try {
    const loss = (await mongoStore.metrics(1, 'loss'))[0];
    assert.equal(loss?.steps.length, 50, 'every flushed point reached MongoDB');
  } finally {
    await mongoStore.close();
  }
  assert.deepEqual(
    existsSync(journal) ? readdirSync(journal) : [],
    [],
    'the journal is gone once MongoDB holds the whole run',
  );
});

test('when MongoDB is down at that moment, the end stays in the journal and ritual sync uploads it', async () => {
  const runs = join(work, 'runs-down');
  const journal = join(work, 'journal-down');
  const db = await startMongoServer({ persistent: true });
  try {
    const stuck = runStuck(['-F', runs, '-m', `${db.url}/down`, '-b', '0.05', '--timeout', '1'], journal);
    // Stop the database while main spins: the watchdog acts 10 s after the 1 s timeout.
    await stuck.ready;
    await db.stop();
    const child = await stuck;
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    assert.match(child.stderr, /TIMEOUT recorded in the journal .* not yet in MongoDB[\s\S]*ritual sync/);
    assert.equal(
      (await (await FileRunStore.open(runs)).get(1)).status,
      'TIMEOUT',
      'the file backend does not wait for MongoDB',
    );

    await db.restart();
    const { runSync } = await import('../../packages/observers/src/mongo/sync.js');
    const report = await runSync(journal, undefined, { write: () => true });
    assert.equal(report.failed.length, 0, report.failed.map((f) => f.error.message).join('\n'));
    assert.equal(report.uploaded.length, 1);
    const store = await MongoRunStore.open(`${db.url}/down`);
    try {
      const run = await store.get(report.uploaded[0]!.runId!);
      assert.equal(run.status, 'TIMEOUT');
      assert.ok(run.stop_time);
    } finally {
      await store.close();
    }
  } finally {
    await db.dispose();
  }
});
