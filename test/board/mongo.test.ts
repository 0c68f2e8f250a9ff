/**
 * The board over a MongoDB store (the real wire-protocol test server over
 * TCP): runs written by a real Experiment with the MongoObserver, read back
 * through the board's API: the runs page and its filter, a series value by
 * value, an artifact from GridFS, and a RUNNING run's heartbeats as events.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Board, startBoard } from '@ritual/board';
import { Experiment } from '@ritual/core';
import { MongoObserver } from '@ritual/observers';
import { type MongoTestServer, startMongoServer } from '../support/mongo.js';
import { EventReader } from './live-events.js';

const POINTS = 300;
let server: MongoTestServer;
let work = '';
let board: Board;

function experiment(name: string) {
  const ex = new Experiment(name);
  ex.observe(new MongoObserver({ url: server.url, dbName: 'board', journalDir: join(work, 'journal'), log: () => {} }));
  return ex;
}

before(async () => {
  server = await startMongoServer();
  work = await mkdtemp(join(tmpdir(), 'ritual-board-mongo-'));
  await writeFile(join(work, 'notes.txt'), 'stored in GridFS\n');
  // one experiment and observer for both runs, as a user's script runs it twice
  const ex = experiment('mongo-demo')
    .config({ lr: 0.1 })
    .main(async ({ config, run }) => {
      for (let i = 0; i < POINTS; i++) run.logScalar('loss', config.lr * i, i);
      await run.addArtifact(join(work, 'notes.txt'), 'notes.txt');
      return config.lr;
    });
  for (const lr of [0.1, 0.2]) {
    await ex.run({ configUpdates: { lr }, options: { loglevel: 'ERROR', systemInterval: 0 } });
  }
  board = await startBoard({ stores: [`${server.url}/board`], pollIntervalMs: 250 });
});

// bounded: a close that hangs fails here, by name, instead of holding the whole suite
after(
  async () => {
    await board?.close();
    await server?.dispose();
    await rm(work, { recursive: true, force: true });
  },
  { timeout: 60_000 },
);

async function getJson(path: string): Promise<any> {
  const response = await fetch(`${board.origin}${path}`);
  assert.equal(response.status, 200, path);
  return response.json();
}

describe('the board over MongoDB', () => {
  it('pages, filters and serves series and artifacts', async () => {
    const page = await getJson('/api/stores/0/runs?sort=-result');
    assert.deepEqual(
      page.rows.map((r: any) => [r.id, r.status, r.result]),
      [
        [2, 'COMPLETED', 0.2],
        [1, 'COMPLETED', 0.1],
      ],
    );
    const filtered = await getJson(`/api/stores/0/runs?where=${encodeURIComponent('config.lr > 0.15')}`);
    assert.equal(filtered.total, 1);
    assert.equal(filtered.rows[0].id, 2);
    const series = await getJson('/api/stores/0/runs/2/series?name=loss&width=1000');
    assert.equal(series.pointsInRange, POINTS);
    assert.deepEqual(
      series.x,
      Array.from({ length: POINTS }, (_, i) => i),
    );
    for (const [k, x] of series.x.entries()) assert.equal(series.y[k], 0.2 * x);
    const artifact = await fetch(`${board.origin}/api/stores/0/runs/1/artifacts?name=notes.txt`);
    assert.equal(await artifact.text(), 'stored in GridFS\n');
    const refused = await fetch(
      `${board.origin}/api/stores/0/runs/1/artifacts?name=${encodeURIComponent('../2/notes.txt')}`,
    );
    assert.equal(refused.status, 404);
  });

  it("reports a RUNNING run's heartbeats and its end as events", async () => {
    const response = await fetch(`${board.origin}/api/events?store=0&runs=3`);
    const events = new EventReader(response.body as ReadableStream<Uint8Array>);
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const ex = experiment('mongo-live').main(async ({ run }) => {
      let i = 0;
      const timer = setInterval(() => run.logScalar('x', i++, i), 20);
      await stopped;
      clearInterval(timer);
      return 'done';
    });
    const finished = ex.run({ options: { loglevel: 'ERROR', beatInterval: 0.3, systemInterval: 0 } });
    try {
      const first = await events.next(
        (e) => e.event === 'run' && e.data.id === 3 && e.data.status === 'RUNNING',
        10_000,
      );
      await events.next((e) => e.event === 'run' && e.data.heartbeat !== first.data.heartbeat, 10_000);
      stop();
      await finished;
      const done = await events.next((e) => e.event === 'run' && e.data.status === 'COMPLETED', 10_000);
      assert.equal(done.data.result, 'done');
    } finally {
      stop();
      await events.close();
    }
  });
});
