/**
 * The document side of the queue, on the wire-protocol test server: a worker's claim, the run's
 * MongoObserver taking the QUEUED document over (same _id), and a process that was declared dead
 * while it was only slow: once its run is queued again, neither its takeover nor its later events
 * (points, beats, the end) reach the document, which the next attempt owns.
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

    const slow = observer();
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

    // The slow process wakes up: its events must not land in the queued run.
    slow.logMetrics({
      runId: 1,
      metrics: [{ name: 'x', steps: [2], values: [2], timestamps: [Date.now()] }],
      info: {},
    });
    slow.heartbeat({ runId: 1, info: {}, capturedOutDelta: 'late\n', beatTime: new Date(), result: undefined });
    await slow.completed({ runId: 1, stopTime: new Date(), result: 99 });
    await slow.close();
    const untouched = await runs.findOne({ _id: 1 as never });
    assert.equal(untouched?.status, 'QUEUED');
    assert.equal(untouched?.result, undefined);
    assert.equal(untouched?.captured_out, '');

    // Its claim is gone: presenting it again is refused; the next claim takes the run over.
    const refused = observer();
    await assert.rejects(refused.started({ ...event, claimed: { id: 1, claim: first!.claim } }), /no longer claimed/);
    await refused.close(); // else its uploader keeps the process alive
    const second = await queue.claim({ experiment: event.experiment.name, worker: 'w2' });
    assert.equal(second?.attempts, 2);
    const next = observer();
    assert.equal(await next.started({ ...event, claimed: { id: 1, claim: second!.claim } }), 1);
    await next.completed({ runId: 1, stopTime: new Date(), result: 7 });
    await next.close();
    const done = await runs.findOne({ _id: 1 as never });
    assert.equal(done?.status, 'COMPLETED');
    assert.equal(done?.result, 7);
    assert.equal(done?.meta.queue.attempts, 2);
  } finally {
    await queue.close();
    await client.close();
  }
});
