// The MongoDB queue end to end, on the wire-protocol test server over TCP: `-M -q` stores QUEUED runs
// holding everything needed to run them; `worker -m URL` processes (the fixture experiment's own
// command line, real child processes) claim and run them under the queued _id; bad input is one line
// and exit 2; --strict refuses a run queued from other sources; SIGTERM stops a worker cleanly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';
import { runChildPids } from '../support/run-children.js';

const fixture = fileURLToPath(new URL('../fixtures/core/queue-experiment.mjs', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let server: MongoTestServer;
let scratch: string;

before(async () => {
  server = await startMongoServer({ persistent: false });
  scratch = mkdtempSync(join(tmpdir(), 'ritual-queue-test-'));
});

after(async () => {
  await server?.dispose();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The fixture (plain node on the built packages) as a child process; `exited` resolves with its output. */
function launch(args: string[], env: Record<string, string> = {}, script = fixture) {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, RITUAL_JOURNAL_DIR: join(scratch, 'journal'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exited, output: () => stderr };
}

async function withDb<T>(url: string, fn: (db: ReturnType<MongoClient['db']>) => Promise<T>): Promise<T> {
  const client = await MongoClient.connect(url);
  try {
    return await fn(client.db());
  } finally {
    await client.close();
  }
}

/** `start`/`end` lines of the fixture's log, counted per run id. */
function mainCalls(log: string): {
  starts: Map<number, number>;
  ends: Map<number, number>;
  configs: Map<number, number>;
} {
  const starts = new Map<number, number>();
  const ends = new Map<number, number>();
  const configs = new Map<number, number>();
  const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
  for (const line of text.split('\n')) {
    const [kind, id, i] = line.split(' ');
    if (kind !== 'start' && kind !== 'end') continue;
    const map = kind === 'start' ? starts : ends;
    map.set(Number(id), (map.get(Number(id)) ?? 0) + 1);
    configs.set(Number(id), Number(i));
  }
  return { starts, ends, configs };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const md5 = (file: string) => createHash('md5').update(readFileSync(file)).digest('hex');

test('-M -q queues a 3x2 sweep: 6 QUEUED documents with config, seed, command, sources and meta.sweep; a worker runs them under their ids', async () => {
  const url = `${server.url}/queue_sweep`;
  const queued = await launch(['-M', '-q', '--sweep-seed', '7', 'with', 'i=1,2,3', 'lr=0.1,0.2', '-m', url]).exited;
  assert.equal(queued.code, 0, queued.stderr);
  const sweepId = /Queued sweep (\w+): 6 runs/.exec(queued.stderr)?.[1];
  assert.ok(sweepId, queued.stderr);
  const docs = await withDb(url, (db) => db.collection('runs').find({}).sort({ _id: 1 }).toArray());
  assert.deepEqual(
    docs.map((doc) => doc._id),
    [1, 2, 3, 4, 5, 6],
  );
  assert.deepEqual(docs.map((doc) => [doc.config.i, doc.config.lr]).sort(), [
    [1, 0.1],
    [1, 0.2],
    [2, 0.1],
    [2, 0.2],
    [3, 0.1],
    [3, 0.2],
  ]);
  assert.equal(new Set(docs.map((doc) => doc.config.seed)).size, 6, 'each run has its own seed');
  const files = await withDb(url, (db) => db.collection('fs.files').find({}).toArray());
  for (const [index, doc] of docs.entries()) {
    assert.equal(doc.status, 'QUEUED');
    assert.equal(doc.experiment.name, 'queueme');
    assert.equal(doc.command, 'main');
    assert.equal(doc.meta.command, 'main');
    assert.deepEqual(doc.meta.named_configs, []);
    assert.deepEqual(doc.meta.config_updates, { i: doc.config.i, lr: doc.config.lr, seed: doc.config.seed });
    assert.deepEqual(doc.meta.sweep, { id: sweepId, index, size: 6, seed: 7 });
    assert.ok(doc.meta.queue_time instanceof Date);
    assert.deepEqual(doc.meta.queue, {
      sources: [['test/fixtures/core/queue-experiment.mjs', md5(fixture)]],
      attempts: 0,
    });
    // Sacred's layout: [[path, GridFS id]], the file's content there.
    const [[path, fileId]] = doc.experiment.sources as [[string, unknown]];
    assert.equal(path, 'test/fixtures/core/queue-experiment.mjs');
    assert.ok(files.some((file) => String(file._id) === String(fileId) && file.md5 === md5(fixture)));
  }

  const log = join(scratch, 'sweep.log');
  const worker = await launch(['worker', '-m', url, '--concurrency', '2'], { QUEUE_TEST_LOG: log }).exited;
  assert.equal(worker.code, 0, worker.stderr);
  assert.match(worker.stderr, /6 run\(s\) claimed: 6 completed, 0 failed/);
  const ran = await withDb(url, (db) => db.collection('runs').find({}).sort({ _id: 1 }).toArray());
  const metrics = await withDb(url, (db) => db.collection('metrics').find({ name: 'x' }).toArray());
  const calls = mainCalls(log);
  for (const [index, doc] of ran.entries()) {
    const before = docs[index]!;
    assert.equal(doc.status, 'COMPLETED');
    assert.deepEqual(doc.config, before.config, 'the stored config, seed included, is the one the run used');
    assert.equal(doc.result, before.config.i * 2);
    assert.equal(doc.format, 'MongoObserver-0.7.0');
    assert.ok(doc.start_time instanceof Date && doc.stop_time instanceof Date);
    assert.deepEqual(doc.meta.sweep, before.meta.sweep, 'the queued meta stays');
    assert.equal(doc.meta.queue.attempts, 1);
    assert.match(doc.meta.queue.worker, /:\d+:/);
    assert.equal(calls.starts.get(doc._id as unknown as number), 1);
    assert.equal(calls.ends.get(doc._id as unknown as number), 1);
    const x = metrics.filter((metric) => metric.run_id === doc._id);
    assert.equal(x.length, 1);
    assert.deepEqual(x[0]!.values, [0, 1, 2]);
    assert.deepEqual(x[0]!.steps, [0, 1, 2]);
  }
  assert.equal(ran.length, 6, 'no run was added: the queued documents became the runs');
});

test('bad input is one line and exit 2: worker without -m, with -F, an unreachable server; -q into a file store; a worker flag without worker', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['worker'], /takes queued runs from MongoDB only: add -m URL/],
    [['worker', '-F', join(scratch, 'runs')], /MongoDB only \(-F .* is a file store\)/],
    [
      ['worker', '-m', 'mongodb://127.0.0.1:1/x'],
      /Cannot reach the MongoDB queue at mongodb:\/\/127\.0\.0\.1:1\/x: .*Start the server or fix -m\./,
    ],
    [
      ['-q', '-F', join(scratch, 'runs')],
      /-q queues a run for `worker`, which takes runs from MongoDB only .* add -m URL\./,
    ],
    [['--wait', '-m', `${server.url}/x`], /Option --wait is for the worker command/],
    [['worker', '-m', `${server.url}/x`, '--dead-after', 'soon'], /--dead-after SECONDS expects a duration/],
  ];
  for (const [args, message] of cases) {
    const result = await launch(args).exited;
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: one line, no stack: ${result.stderr}`);
    assert.match(lines[0]!, message);
  }
  assert.equal(existsSync(join(scratch, 'runs')), false, 'nothing was stored');
});

test('--strict refuses a run queued from other sources and leaves it QUEUED; without it the worker warns naming the file and runs it', async () => {
  const url = `${server.url}/queue_strict`;
  // A copy of the experiment in its own folder (its node_modules pointing at this repository's) that can be edited.
  const dir = mkdtempSync(join(scratch, 'project-'));
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{"name": "strict-project", "type": "module"}\n');
  const script = join(dir, 'train.mjs');
  copyFileSync(fixture, script);
  const queued = await launch(['-q', '-m', url, 'with', 'i=5'], {}, script).exited;
  assert.equal(queued.code, 0, queued.stderr);
  writeFileSync(script, `${readFileSync(script, 'utf8')}\n// changed after queueing\n`);

  const refused = await launch(['worker', '-m', url, '--strict'], {}, script).exited;
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(
    refused.stderr,
    /Queued run 1 was queued from other sources than this worker's \(train\.mjs\): --strict refuses it; it stays QUEUED/,
  );
  const stillQueued = await withDb(url, (db) => db.collection('runs').findOne({ _id: 1 as never }));
  assert.equal(stillQueued?.status, 'QUEUED');
  assert.equal(stillQueued?.meta.queue.attempts, 0);
  assert.equal(stillQueued?.meta.queue.claim, undefined);

  const log = join(scratch, 'strict.log');
  const warned = await launch(['worker', '-m', url], { QUEUE_TEST_LOG: log }, script).exited;
  assert.equal(warned.code, 0, warned.stderr);
  assert.match(
    warned.stderr,
    /WARNING - queueme - Queued run 1 was queued from other sources than this worker's \(train\.mjs\); running it/,
  );
  const ran = await withDb(url, (db) => db.collection('runs').findOne({ _id: 1 as never }));
  assert.equal(ran?.status, 'COMPLETED');
  assert.equal(ran?.result, 10);
  assert.equal(mainCalls(log).ends.get(1), 1);
});

test('SIGTERM to a worker: no new claims, its running run is INTERRUPTED with every point logged so far, the worker exits 143 with a summary', async () => {
  const url = `${server.url}/queue_sigterm`;
  const queued = await launch(['-M', '-q', 'with', 'i=1,2', 'steps=400', 'sleep=50', '-m', url]).exited;
  assert.equal(queued.code, 0, queued.stderr);
  const log = join(scratch, 'sigterm.log');
  const worker = launch(['worker', '-m', url, '-b', '0.2'], { QUEUE_TEST_LOG: log });
  await waitFor('the first run to start', () => mainCalls(log).starts.size === 1);
  await new Promise((resolve) => setTimeout(resolve, 1000)); // some points logged and beaten
  worker.child.kill('SIGTERM');
  const exit = await worker.exited;
  assert.equal(exit.code, 143, exit.stderr);
  assert.match(exit.stderr, /got SIGTERM: no new claims/);
  assert.match(exit.stderr, /1 run\(s\) claimed: 0 completed, 0 failed, 1 interrupted/);
  const runs = await withDb(url, (db) => db.collection('runs').find({}).sort({ _id: 1 }).toArray());
  assert.deepEqual(
    runs.map((run) => run.status),
    ['INTERRUPTED', 'QUEUED'],
  );
  const metric = await withDb(url, (db) => db.collection('metrics').findOne({ run_id: 1, name: 'x' } as never));
  const values = metric?.values as number[];
  assert.ok(values.length > 0 && values.length < 400, `points: ${values.length}`);
  assert.deepEqual(values, [...values.keys()], 'x = i at step i, none missing');
  assert.deepEqual(metric?.steps, [...values.keys()]);
});

test('a worker SIGKILLed with its child mid-run (--retries 0): the next worker finds the run dead and marks it FAILED, its points kept', async () => {
  const url = `${server.url}/queue_dead`;
  for (const args of [['i=1', 'steps=400', 'sleep=50'], ['i=2']]) {
    const queued = await launch(['-q', '-m', url, 'with', ...args]).exited;
    assert.equal(queued.code, 0, queued.stderr);
  }
  const log = join(scratch, 'dead.log');
  const doomed = launch(['worker', '-m', url, '-b', '0.3', '--max-runs', '1'], { QUEUE_TEST_LOG: log });
  await waitFor('run 1 to start', () => mainCalls(log).starts.get(1) === 1);
  await new Promise((resolve) => setTimeout(resolve, 800)); // a few points uploaded with the beats
  const children = runChildPids(doomed.child.pid!);
  assert.equal(children.length, 1);
  doomed.child.kill('SIGKILL');
  process.kill(children[0]!, 'SIGKILL');
  await doomed.exited;
  const beforeReap = await withDb(url, (db) => db.collection('runs').findOne({ _id: 1 as never }));
  assert.equal(beforeReap?.status, 'RUNNING', 'nothing ended it: its worker and process are gone');
  await new Promise((resolve) => setTimeout(resolve, 2500)); // older than --dead-after 2

  const next = await launch(['worker', '-m', url, '-b', '0.3', '--dead-after', '2', '--retries', '0'], {
    QUEUE_TEST_LOG: log,
  }).exited;
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stderr, /Run 1 had no heartbeat for 2s \(its worker died\): marked FAILED/);
  const [dead, other] = await withDb(url, (db) => db.collection('runs').find({}).sort({ _id: 1 }).toArray());
  assert.equal(dead?.status, 'FAILED');
  assert.ok(dead?.stop_time instanceof Date);
  assert.match(dead?.fail_trace[0], /no heartbeat for more than 2 s from worker .*Attempt 1, --retries 0\./);
  assert.equal(other?.status, 'COMPLETED');
  const calls = mainCalls(log);
  assert.equal(calls.starts.get(1), 1, 'not run again');
  assert.equal(calls.ends.get(1), undefined);
  const metric = await withDb(url, (db) => db.collection('metrics').findOne({ run_id: 1, name: 'x' } as never));
  const values = metric?.values as number[];
  assert.ok(values.length > 0 && values.length < 400, `points: ${values.length}`);
  assert.deepEqual(values, [...values.keys()], 'the points uploaded before the kill, x = i at step i, none missing');
});
