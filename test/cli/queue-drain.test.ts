// 200 queued runs drained by 8 worker processes on this machine (the fixture experiment's command
// line, real processes, the wire-protocol test server over TCP), three of them SIGKILLed with their
// running child mid-run as a lost machine would be. Policy --retries 1: a killed run is found dead
// (no heartbeat for --dead-after) by another worker's claim pass and queued again once, then FAILED.
// Every run ends COMPLETED or FAILED per that policy; none is lost; none's main finishes twice; each
// main began exactly as many times as the run was claimed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient, type Db } from 'mongodb';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';
import { runChildPids } from '../support/run-children.js';

const fixture = fileURLToPath(new URL('../fixtures/core/queue-experiment.mjs', import.meta.url));
const RUNS = 200;
const WORKERS = 8;
let server: MongoTestServer;
let scratch: string;
let client: MongoClient;
const launched = new Set<ReturnType<typeof spawn>>();

before(async () => {
  server = await startMongoServer({ persistent: false });
  scratch = mkdtempSync(join(tmpdir(), 'ritual-queue-drain-'));
});

after(async () => {
  // A failed assertion leaves --wait workers polling: they are this test's own processes.
  for (const child of launched) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await client?.close();
  await server?.dispose();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function launch(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [fixture, ...args], {
    env: { ...process.env, RITUAL_JOURNAL_DIR: join(scratch, 'journal'), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  launched.add(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exited };
}

function mainCalls(log: string): { starts: Map<number, number>; ends: Map<number, number> } {
  const starts = new Map<number, number>();
  const ends = new Map<number, number>();
  for (const line of (existsSync(log) ? readFileSync(log, 'utf8') : '').split('\n')) {
    const [kind, id] = line.split(' ');
    const map = kind === 'start' ? starts : kind === 'end' ? ends : null;
    map?.set(Number(id), (map.get(Number(id)) ?? 0) + 1);
  }
  return { starts, ends };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    return process.kill(pid, name);
  } catch {
    return false;
  }
}

/**
 * SIGKILL a worker whose child is inside main (its run's `start` logged, no `end` yet) and that
 * child: what a lost machine leaves behind. The child is frozen (SIGSTOP) before the log is read
 * again, so it cannot finish main between the look and the kill; its pid is read before the worker
 * dies (then it is reparented). Returns the run id it was running.
 */
async function killMidRun(db: Db, pids: number[], killed: Set<number>, log: string): Promise<number> {
  for (;;) {
    for (const pid of pids) {
      if (killed.has(pid)) continue;
      const run = await db
        .collection('runs')
        .findOne({ status: 'RUNNING', 'meta.queue.worker': { $regex: `:${pid}:` } });
      const id = run?._id as number | undefined;
      if (id === undefined) continue;
      const children = runChildPids(pid);
      if (children.length !== 1) continue;
      const child = children[0]!;
      if (!signal(child, 'SIGSTOP')) continue; // it has just ended
      const calls = mainCalls(log);
      if (calls.starts.get(id) !== 1 || calls.ends.has(id)) {
        signal(child, 'SIGCONT');
        continue;
      }
      process.kill(pid, 'SIGKILL');
      process.kill(child, 'SIGKILL');
      killed.add(pid);
      return id;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test(`${RUNS} queued runs, ${WORKERS} workers, 3 SIGKILLed mid-run: every run COMPLETED or FAILED per --retries 1, none lost, none finished twice`, async () => {
  const url = `${server.url}/queue_drain`;
  const queued = launch(['-M', '-q', 'with', `i=range(0, ${RUNS})`, 'sleep=100', '-m', url]);
  const queuedExit = await queued.exited;
  assert.equal(queuedExit.code, 0, queuedExit.stderr);
  client = await MongoClient.connect(url);
  const db = client.db();
  assert.equal(await db.collection('runs').countDocuments({ status: 'QUEUED' }), RUNS);

  const log = join(scratch, 'main.log');
  const args = ['worker', '-m', url, '--wait', '--poll', '0.3', '-b', '1', '--dead-after', '5', '--retries', '1'];
  const workers = Array.from({ length: WORKERS }, () => launch(args, { QUEUE_TEST_LOG: log }));
  const pids = workers.map((worker) => worker.child.pid!);
  const killed = new Set<number>();
  const killedRuns: number[] = [];
  await waitFor('30 runs to start', () => mainCalls(log).starts.size >= 30, 180_000);
  killedRuns.push(await killMidRun(db, pids, killed, log), await killMidRun(db, pids, killed, log));
  await waitFor('100 runs to start', () => mainCalls(log).starts.size >= 100, 180_000);
  killedRuns.push(await killMidRun(db, pids, killed, log));

  const ended = () => db.collection('runs').countDocuments({ status: { $in: ['COMPLETED', 'FAILED'] } });
  await waitFor('every run to end', async () => (await ended()) === RUNS, 300_000);
  const survivors = workers.filter((worker) => !killed.has(worker.child.pid!));
  for (const worker of survivors) worker.child.kill('SIGTERM');
  for (const exit of await Promise.all(survivors.map((worker) => worker.exited))) {
    assert.equal(exit.code, 0, `an idle worker stops cleanly: ${exit.stderr.slice(-2000)}`);
    assert.match(exit.stderr, /run\(s\) claimed: \d+ completed, 0 failed, 0 interrupted/);
  }

  const runs = await db.collection('runs').find({}).sort({ _id: 1 }).toArray();
  const metrics = await db.collection('metrics').find({ name: 'x' }).toArray();
  const calls = mainCalls(log);
  assert.equal(runs.length, RUNS, 'no run added, none lost');
  assert.deepEqual(
    runs.map((run) => run.config.i).sort((a, b) => a - b),
    [...Array(RUNS).keys()],
    'every config once',
  );
  for (const run of runs) {
    const id = run._id as unknown as number;
    const attempts = run.meta.queue.attempts as number;
    assert.equal(calls.starts.get(id), attempts, `run ${id}: main began once per claim`);
    if (run.status === 'COMPLETED') {
      assert.equal(calls.ends.get(id), 1, `run ${id}: main finished once (killed: ${killedRuns.join(', ')})`);
      assert.equal(run.result, run.config.i * 2);
      const x = metrics.filter((metric) => metric.run_id === id);
      assert.deepEqual(
        x.map((metric) => metric.values),
        [[0, 1, 2]],
        `run ${id}: its points, once (a dead attempt's are gone)`,
      );
    } else {
      assert.equal(run.status, 'FAILED');
      assert.equal(attempts, 2, `run ${id}: failed only once its retry was used up`);
      assert.equal(calls.ends.get(id), undefined);
      assert.match(run.fail_trace[0], /no heartbeat for more than 5 s/);
    }
    assert.equal((run.meta.queue.dead ?? []).length, attempts - 1, `run ${id}: each dead attempt recorded`);
  }
  for (const id of killedRuns) {
    const run = runs.find((candidate) => candidate._id === (id as never))!;
    assert.ok(run.meta.queue.attempts >= 2, `killed run ${id} was claimed again`);
    assert.match(run.meta.queue.dead[0], /no heartbeat for more than 5 s from worker/);
  }
  const completed = runs.filter((run) => run.status === 'COMPLETED').length;
  assert.ok(completed >= RUNS - 3, `completed ${completed}`);
});
