/**
 * Live updates over server-sent events: a RUNNING run in a runs folder
 * (written by a real Experiment, heartbeat every 0.3 s) is reported while it
 * logs, then when it completes; the points it logged are all served. A run
 * whose process is killed is reported "probably dead" once its silence is
 * long enough, though nothing in its folder changes.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Board, startBoard } from '@ritual/board';
import { Experiment } from '@ritual/core';
import { DEAD_AFTER_MS, FileStorageObserver } from '@ritual/observers';
import { makeBoardFixture } from './board-fixture.js';
import { EventReader } from './live-events.js';

let dir = '';
let board: Board;
/** Added to the board's clock: a test moves the board minutes ahead instead of waiting for them. */
let skewMs = 0;

before(async () => {
  dir = await makeBoardFixture();
  board = await startBoard({ stores: [dir], pollIntervalMs: 250, now: () => new Date(Date.now() + skewMs) });
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

  it('marks a RUNNING run whose process was killed "probably dead" on its own, with no change in its folder', async () => {
    // a real experiment in a child process, beating every 0.3 s until it is killed
    const script = `
      import { Experiment } from '@ritual/core';
      import { FileStorageObserver } from '@ritual/observers';
      const ex = new Experiment('silent').main(async ({ run }) => {
        run.logScalar('x', 0, 0);
        console.log('started');
        await new Promise(() => setInterval(() => {}, 1000));
      });
      ex.observe(new FileStorageObserver(${JSON.stringify(dir)}));
      await ex.run({ options: { loglevel: 'ERROR', beatInterval: 0.3, systemInterval: 0 } });
    `;
    const child = spawn(
      process.execPath,
      ['--conditions=@ritual/source', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const response = await fetch(`${board.origin}/api/events?store=0&runs=7`);
    const events = new EventReader(response.body as ReadableStream<Uint8Array>);
    try {
      // a heartbeat was written: the silence is counted from it
      const running = await events.next((e) => e.event === 'run' && e.data.id === 7 && e.data.heartbeat, 30_000);
      assert.equal(running.data.status, 'RUNNING');
      assert.equal(running.data.probablyDead, false);
      child.kill('SIGKILL');
      await once(child, 'exit');
      const last = (await (await fetch(`${board.origin}/api/stores/0/runs/7`)).json()) as {
        run: { heartbeat: string };
        probablyDead: boolean;
      };
      assert.equal(last.probablyDead, false);
      // the board's clock passes the silence limit after the last heartbeat; the folder stays as the kill left it
      skewMs = Date.parse(last.run.heartbeat) + DEAD_AFTER_MS + 1000 - Date.now();
      const dead = await events.next((e) => e.event === 'run' && e.data.id === 7 && e.data.probablyDead, 5000);
      assert.equal(dead.data.status, 'RUNNING');
      assert.equal(dead.data.heartbeat, last.run.heartbeat);
    } finally {
      child.kill('SIGKILL');
      skewMs = 0;
      await events.close();
    }
  });
});
