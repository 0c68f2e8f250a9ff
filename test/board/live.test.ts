/**
 * Live updates over server-sent events: a RUNNING run in a runs folder
 * (written by a real Experiment, heartbeat every 0.3 s) is reported while it
 * logs, then when it completes; the points it logged are all served.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type Board, startBoard } from '@ritual/board';
import { Experiment } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import { makeBoardFixture } from './board-fixture.js';
import { EventReader } from './live-events.js';

let dir = '';
let board: Board;

before(async () => {
  dir = await makeBoardFixture();
  board = await startBoard({ stores: [dir], pollIntervalMs: 250 });
});

after(async () => {
  await board?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('live runs', () => {
  it('sends a new run, its heartbeats and its end within seconds, and serves every point it logged', async () => {
    const response = await fetch(`${board.origin}/api/events?store=0&runs=6`);
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const events = new EventReader(response.body as ReadableStream<Uint8Array>);
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let logged = 0;
    const ex = new Experiment('live').main(async ({ run }) => {
      const timer = setInterval(() => {
        run.logScalar('x', logged, logged);
        logged++;
      }, 20);
      await stopped;
      clearInterval(timer);
      return logged;
    });
    ex.observe(new FileStorageObserver(dir));
    const finished = ex.run({ options: { loglevel: 'ERROR', beatInterval: 0.3, systemInterval: 0 } });
    try {
      await events.next((e) => e.event === 'runs', 5000);
      const running = await events.next(
        (e) => e.event === 'run' && e.data.id === 6 && e.data.status === 'RUNNING',
        5000,
      );
      assert.equal(running.data.probablyDead, false);
      // later heartbeats arrive as events too: the chart refetches on each
      const first = running.data.heartbeat;
      const later = await events.next((e) => e.event === 'run' && e.data.heartbeat !== first, 5000);
      assert.ok(Date.parse(later.data.heartbeat) > Date.parse(first ?? '1970-01-01'));
      stop();
      const run = await finished;
      const done = await events.next((e) => e.event === 'run' && e.data.status === 'COMPLETED', 5000);
      assert.equal(done.data.result, logged);
      assert.equal(run.status, 'COMPLETED');
    } finally {
      stop();
      await events.close();
    }
    const series = (await (await fetch(`${board.origin}/api/stores/0/runs/6/series?name=x&width=4000`)).json()) as {
      pointsInRange: number;
      x: number[];
      y: number[];
    };
    assert.equal(series.pointsInRange, logged);
    assert.deepEqual(
      series.x,
      Array.from({ length: logged }, (_, i) => i),
    );
    assert.deepEqual(series.y, series.x);
  });
});
