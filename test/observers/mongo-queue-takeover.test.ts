/**
 * The document side of the queue, on the wire-protocol test server: a worker's claim, the run's
 * MongoObserver taking the QUEUED document over (same _id), and a process that was declared dead
 * while it was only slow: once its run is queued again, neither its takeover nor its later events
 * (points, beats, the end) reach the document, which the next attempt owns, and points it wrote before
 * it noticed are taken back (by it, or by the attempt that ends the run).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { MongoObserver } from '../../packages/observers/src/mongo/observer.js';
import { MongoRunQueue } from '../../packages/observers/src/mongo/run-queue.js';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';
import { startedEvent } from '../support/mongo-run-events.js';

let server: MongoTestServer;
let work: string;

before(async () => {
  server = await startMongoServer({ persistent: false });
  work = await mkdtemp(join(tmpdir(), 'ritual-queue-takeover-'));
});

after(async () => {
  await server?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

test('a run declared dead and queued again: the slow process cannot take it over or write into it; the next claim can', async () => {
  const url = `${server.url}/takeover`;
  const observer = () => new MongoObserver({ url, journalDir: join(work, 'journal'), log: () => {} });
  const queuer = observer();
  const event = startedEvent(join(work, 'src'), new Date());
  const { startTime: _start, ...rest } = event;
  const id = await queuer.queued({ ...rest, queueTime: new Date() });
  await queuer.close();
  assert.equal(id, 1);

  const queue = await MongoRunQueue.open(url);
  const client = await MongoClient.connect(url);
  const runs = client.db().collection('runs');
  try {
    const first = await queue.claim({ experiment: event.experiment.name, worker: 'w1' });
    assert.equal(first?.id, 1);
    assert.equal(first?.attempts, 1);
    assert.equal(await queue.claim({ experiment: event.experiment.name, worker: 'w2' }), null, 'claimed once');

    const slowLog: string[] = [];
    const slow = new MongoObserver({ url, journalDir: join(work, 'journal'), log: (line) => slowLog.push(line) });
    assert.equal(await slow.started({ ...event, claimed: { id: 1, claim: first!.claim } }), 1, 'the same _id');
    slow.logMetrics({
      runId: 1,
      metrics: [{ name: 'x', steps: [0, 1], values: [0, 1], timestamps: [Date.now(), Date.now()] }],
      info: {},
    });
    slow.heartbeat({
      runId: 1,
      info: {},
      capturedOutDelta: 'first attempt\n',
      beatTime: new Date(),
      result: undefined,
    });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // uploaded, then silent past --dead-after
    const taken = await runs.findOne({ _id: 1 as never });
    assert.equal(taken?.status, 'RUNNING');
    assert.equal(taken?.captured_out, 'first attempt\n');

    const reaped = await queue.reap({ experiment: event.experiment.name, worker: 'w2', deadAfterMs: 300, retries: 1 });
    assert.deepEqual(reaped, [{ id: 1, status: 'QUEUED', attempts: 1 }]);
    const requeued = await runs.findOne({ _id: 1 as never });
    assert.equal(requeued?.status, 'QUEUED');
    assert.equal(requeued?.captured_out, '');
    assert.equal(requeued?.meta.queue.dead.length, 1);
    assert.equal(
      await client.db().collection('metrics').countDocuments({ run_id: 1 }),
      0,
      "the dead attempt's points go",
    );

    // The slow process wakes up: its events must not land in the queued run. First a point that
    // continues a series whose document is gone (the journal would "repair" it), alone: taken back
    // by the flush itself, before any other event of the attempt.
    const metrics = client.db().collection('metrics');
    slow.logMetrics({
      runId: 1,
      metrics: [{ name: 'x', steps: [2], values: [2], timestamps: [Date.now()] }],
      info: {},
    });
    await waitFor(() => slowLog.length > 0);
    assert.deepEqual(await metrics.find({ run_id: 1 }).toArray(), [], 'the late point is taken back');
    // Then a new series, a beat and the end.
    slow.logMetrics({
      runId: 1,
      metrics: [{ name: 'y', steps: [0], values: [5], timestamps: [Date.now()] }],
      info: {},
    });
    slow.heartbeat({ runId: 1, info: {}, capturedOutDelta: 'late\n', beatTime: new Date(), result: undefined });
    await slow.completed({ runId: 1, stopTime: new Date(), result: 99 });
    await slow.close();
    const untouched = await runs.findOne({ _id: 1 as never });
    assert.equal(untouched?.status, 'QUEUED');
    assert.equal(untouched?.result, undefined);
    assert.equal(untouched?.captured_out, '');
    assert.deepEqual(await metrics.find({ run_id: 1 }).toArray(), [], 'no point of the dead attempt is stored');
    assert.match(slowLog.join('\n'), /Run 1 was declared dead by a queue worker .* Raise the worker's --dead-after/);
    assert.match(slowLog.join('\n'), /This attempt's journal is kept in .*; it is not uploaded/);

    // Its claim is gone: presenting it again is refused; the next claim takes the run over.
    const refused = observer();
    await assert.rejects(refused.started({ ...event, claimed: { id: 1, claim: first!.claim } }), /no longer claimed/);
    await refused.close(); // else its uploader keeps the process alive
    const second = await queue.claim({ experiment: event.experiment.name, worker: 'w2' });
    assert.equal(second?.attempts, 2);
    const next = observer();
    assert.equal(await next.started({ ...event, claimed: { id: 1, claim: second!.claim } }), 1);
    const now = Date.now();
    next.logMetrics({
      runId: 1,
      metrics: [{ name: 'x', steps: [0, 1, 2], values: [10, 11, 12], timestamps: [now, now, now] }],
      info: {},
    });
    // A stalled attempt killed right after a write, before it could take its points back, leaves a stray
    // document: the attempt that ends the run removes what is not its own.
    await metrics.insertOne({ run_id: 1, name: 'x', steps: [3], values: [3], timestamps: [new Date()] });
    await next.completed({ runId: 1, stopTime: new Date(), result: 7 });
    await next.close();
    const stored = await metrics.find({ run_id: 1 }).toArray();
    assert.deepEqual(
      stored.map((doc) => [doc.name, doc.steps, doc.values]),
      [['x', [0, 1, 2], [10, 11, 12]]],
      "the run holds the last attempt's points alone",
    );
    const done = await runs.findOne({ _id: 1 as never });
    assert.equal(done?.status, 'COMPLETED');
    assert.equal(done?.result, 7);
    assert.equal(done?.meta.queue.attempts, 2);
  } finally {
    await queue.close();
    await client.close();
  }
});

test('a stalled attempt whose first late event is a beat stops there: no beat, point or end of it is stored', async () => {
  const url = `${server.url}/takeover-beat`;
  const event = startedEvent(join(work, 'src2'), new Date());
  const { startTime: _start, ...rest } = event;
  const queuer = new MongoObserver({ url, journalDir: join(work, 'journal'), log: () => {} });
  assert.equal(await queuer.queued({ ...rest, queueTime: new Date() }), 1);
  await queuer.close();
  const queue = await MongoRunQueue.open(url);
  const client = await MongoClient.connect(url);
  try {
    const claim = await queue.claim({ experiment: event.experiment.name, worker: 'w1' });
    const slowLog: string[] = [];
    const slow = new MongoObserver({ url, journalDir: join(work, 'journal'), log: (line) => slowLog.push(line) });
    await slow.started({ ...event, claimed: { id: 1, claim: claim!.claim } });
    slow.logMetrics({
      runId: 1,
      metrics: [{ name: 'x', steps: [0], values: [0], timestamps: [Date.now()] }],
      info: {},
    });
    slow.heartbeat({ runId: 1, info: {}, capturedOutDelta: 'a\n', beatTime: new Date(), result: undefined });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const reaped = await queue.reap({ experiment: event.experiment.name, worker: 'w2', deadAfterMs: 300, retries: 1 });
    assert.equal(reaped.length, 1);

    slow.heartbeat({ runId: 1, info: { late: true }, capturedOutDelta: 'late\n', beatTime: new Date(), result: 1 });
    await waitFor(() => slowLog.length > 0);
    assert.match(slowLog[0]!, /Run 1 was declared dead by a queue worker/);
    slow.logMetrics({
      runId: 1,
      metrics: [{ name: 'x', steps: [1], values: [1], timestamps: [Date.now()] }],
      info: {},
    });
    await slow.completed({ runId: 1, stopTime: new Date(), result: 1 });
    await slow.close();
    const run = await client
      .db()
      .collection('runs')
      .findOne({ _id: 1 as never });
    assert.equal(run?.status, 'QUEUED');
    assert.equal(run?.captured_out, '');
    assert.deepEqual(run?.info, {});
    assert.deepEqual(await client.db().collection('metrics').find({ run_id: 1 }).toArray(), []);
    assert.equal(slowLog.filter((line) => /declared dead/.test(line)).length, 1, 'said once');
  } finally {
    await queue.close();
    await client.close();
  }
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the observer');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
