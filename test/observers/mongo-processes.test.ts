/**
 * Many writers, and a writer killed with SIGKILL, against the real test server.
 * The child (test/support/mongo-run-child.ts) is bundled once with esbuild so
 * that fifty of them start in seconds on a small machine.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import { MongoClient } from 'mongodb';
import { main as ritual } from '../../packages/cli/src/main.js';
import { runSync } from '@ritual/observers';
import { MongoRunStore } from '../../packages/observers/src/mongo/store.js';
import { repoRoot } from '../support/mongo-server/build.js';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';

let server: MongoTestServer;
let client: MongoClient;
let work: string;
let childScript: string;
const children = new Set<ChildProcess>();

before(async () => {
  server = await startMongoServer();
  client = await new MongoClient(server.url).connect();
  work = await mkdtemp(join(tmpdir(), 'ritual-mongo-proc-'));
  // Inside the repo so the bundle resolves the `mongodb` package from node_modules.
  const outDir = join(repoRoot, '.cache', 'mongo-child');
  await mkdir(outDir, { recursive: true });
  childScript = join(outDir, `child-${process.pid}.mjs`);
  await build({
    entryPoints: [join(repoRoot, 'test/support/mongo-run-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: childScript,
    external: ['mongodb'],
    conditions: ['@ritual/source'],
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await client?.close(true);
  await server?.dispose();
  await rm(work, { recursive: true, force: true });
  await rm(childScript, { force: true });
});

interface Child {
  process: ChildProcess;
  lines: string[];
  waitFor(pattern: RegExp): Promise<string>;
  exited: Promise<number | null>;
}

function startChild(options: Record<string, unknown>): Child {
  const child = spawn(process.execPath, [childScript], {
    env: { ...process.env, RITUAL_CHILD: JSON.stringify(options) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines: string[] = [];
  const listeners: Array<() => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const listener of listeners) listener();
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      if (code !== 0 && code !== null) process.stderr.write(stderr);
      resolve(code);
    }),
  );
  return {
    process: child,
    lines,
    exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines.find((line) => pattern.test(line));
          if (found) resolve(found);
        };
        listeners.push(check);
        check();
        void exited.then(() =>
          setTimeout(() => reject(new Error(`child exited before ${pattern}: ${lines.join('|')} ${stderr}`)), 50),
        );
      }),
  };
}

test('50 processes starting runs at once get 50 distinct numeric ids', { timeout: 300_000 }, async () => {
  const count = 50;
  const all = Array.from({ length: count }, (_, index) =>
    startChild({
      url: server.url,
      dbName: 'crowd',
      journalDir: join(work, 'journal'),
      workDir: join(work, `src-${index}`),
      beats: 1,
      beatDelayMs: 0,
      waitForGo: true,
    }),
  );
  await Promise.all(all.map((child) => child.waitFor(/^ready$/)));
  for (const child of all) child.process.stdin!.write('go\n');
  const codes = await Promise.all(all.map((child) => child.exited));
  assert.deepEqual(codes, Array(count).fill(0));
  const ids = all.map((child) => Number(child.lines.find((line) => line.startsWith('started '))?.split(' ')[1]));
  assert.equal(new Set(ids).size, count, `ids: ${ids.join(',')}`);
  assert.deepEqual(
    [...ids].sort((a, b) => a - b),
    Array.from({ length: count }, (_, i) => i + 1),
  );
  const runs = await client.db('crowd').collection('runs').find().toArray();
  assert.equal(runs.length, count);
  // No document overwritten: each run kept its own journal key, status and metrics.
  assert.equal(new Set(runs.map((run) => run.meta.run_key)).size, count);
  assert.ok(runs.every((run) => run.status === 'COMPLETED' && run.info.metrics.length === 2));
  assert.equal(await client.db('crowd').collection('metrics').countDocuments(), 2 * count);
  for (const run of runs)
    assert.equal(await client.db('crowd').collection('metrics').countDocuments({ run_id: run._id }), 2);
});

test('kill -9 mid-run: the last heartbeat is in the database and ritual sync adds what was journaled', async () => {
  const journalDir = join(work, 'journal-killed');
  const child = startChild({
    url: server.url,
    dbName: 'killed',
    journalDir,
    workDir: join(work, 'src-killed'),
    beats: 1000,
    beatDelayMs: 150,
  });
  await child.waitFor(/^beat 5$/);
  // Mid-run: the next beat is 150 ms away; give the background upload of this one a moment.
  await new Promise((resolve) => setTimeout(resolve, 60));
  child.process.kill('SIGKILL');
  await child.exited;
  const lastBeat = Math.max(
    ...child.lines.filter((line) => line.startsWith('beat ')).map((line) => Number(line.split(' ')[1])),
  );
  const runs = client.db('killed').collection('runs');
  const run = await runs.findOne({ _id: 1 as never });
  assert.ok(run);
  assert.equal(
    run.status,
    'RUNNING',
    'a killed run stays RUNNING (ritual ls shows it as probably dead from its old heartbeat)',
  );
  const start = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)).getTime();
  // Beats are uploaded in the background: the database holds the last beat, or on a busy machine the one before.
  const beatsInDb = ((run.heartbeat as Date).getTime() - start) / 1000;
  assert.ok(
    beatsInDb === lastBeat + 1 || beatsInDb === lastBeat,
    `heartbeat of beat ${beatsInDb - 1}, last beat ${lastBeat}`,
  );
  assert.equal(run.captured_out.split('\n').length - 1, beatsInDb);

  // `ritual ls` on the database marks the run as probably dead (RUNNING, no recent beat).
  let listing = '';
  const write = (text: string): boolean => ((listing += text), true);
  const code = await ritual(['ls', `${server.url}/killed`], {
    stdout: { write },
    stderr: { write },
    color: false,
    now: () => new Date(start + 1000 * (lastBeat + 1) + 10 * 60_000),
  });
  assert.equal(code, 0, listing);
  assert.match(listing, /RUNNING\?/);

  const [journal] = await readdir(journalDir);
  assert.ok(journal, 'the killed run left its journal');
  const report = await runSync(journalDir, server.url, { write: () => {} });
  assert.equal(report.uploaded[0]?.runId, 1);
  const store = await MongoRunStore.open(`${server.url}/killed`);
  try {
    const metrics = await store.metrics(1);
    assert.equal(metrics.length, 2);
    // Every point handed to the observer before the kill is there, each once.
    for (const series of metrics) {
      assert.ok(series.steps.length >= (lastBeat + 1) * 10, `${series.name}: ${series.steps.length} points`);
      assert.deepEqual(
        series.steps,
        Array.from({ length: series.steps.length }, (_, i) => i),
      );
    }
    const synced = await store.get(1);
    assert.equal(synced.status, 'RUNNING');
    // After the sync the run shows every beat that was journaled before the kill.
    assert.ok(synced.heartbeat!.getTime() >= start + 1000 * (lastBeat + 1));
    assert.ok(synced.captured_out!.includes(`beat ${lastBeat} `));
  } finally {
    await store.close();
  }
});

test('ritual sync leaves alone the journal of a run that is still being written', async () => {
  const journalDir = join(work, 'journal-live');
  const child = startChild({
    url: 'mongodb://127.0.0.1:9',
    dbName: 'live',
    journalDir,
    workDir: join(work, 'src-live'),
    beats: 1000,
    beatDelayMs: 100,
    serverSelectionTimeoutMS: 500,
  });
  try {
    await child.waitFor(/^beat 1$/);
    const report = await runSync(journalDir, server.url, { write: () => {} });
    assert.equal(report.uploaded.length, 0);
    assert.equal(report.skipped.length, 1);
    assert.match(report.skipped[0]!.reason, new RegExp(`process ${child.process.pid}`));
  } finally {
    child.process.kill('SIGKILL');
    await child.exited;
  }
});
