import { readdir, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { JsonObject, RunId } from '@ritual/core';
import { isProbablyDead, type StoredRun } from '@ritual/observers';
import type { BoardStore } from './board-store.js';

/** How often watched runs are looked at. Heartbeats come every 10 s by default, so 1 s keeps the board within 2 s. */
export const POLL_INTERVAL_MS = 1000;
/** A comment line now and then keeps proxies from closing an idle event stream. */
const KEEPALIVE_MS = 15_000;

/** What a browser tab watches: the runs it shows, and whether new runs in the store matter (the runs table). */
interface Subscriber {
  response: ServerResponse;
  target: BoardStore;
  ids: RunId[];
  /** Last seen per run: file mtimes (file stores) and the run's status/heartbeat, and whether it looked dead. */
  known: Map<RunId, string>;
  /** The last read of each watched run in a file store: a run that went silent is re-judged from it every tick. */
  lastRead: Map<RunId, StoredRun>;
  listing: string | null;
  busy: boolean;
}

/**
 * Server-sent events about runs that change. Nothing is polled while no tab
 * listens. A file store is watched cheaply: one readdir of the runs folder
 * (new runs) and a stat of each watched run's run.json and metrics files per
 * tick; a run is read only when those changed. MongoDB: the watched runs'
 * documents and the newest id, once a tick. A RUNNING run that goes silent
 * changes nothing in the store, so each tick also re-judges "probably dead"
 * from its last heartbeat and sends the run when that verdict flips.
 */
export class LiveUpdates {
  private readonly subscribers = new Set<Subscriber>();
  /** Looks still reading a store: closing waits for them, so no read is in flight when the stores close. */
  private readonly reading = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private keepalive: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs = POLL_INTERVAL_MS,
    /** The board's clock (tests give their own), which "probably dead" is judged by. */
    private readonly now: () => Date = () => new Date(),
  ) {}

  subscribe(response: ServerResponse, target: BoardStore, ids: RunId[]): void {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    });
    response.write(': watching\n\n');
    const subscriber: Subscriber = {
      response,
      target,
      ids,
      known: new Map(),
      lastRead: new Map(),
      listing: null,
      busy: false,
    };
    this.subscribers.add(subscriber);
    response.on('close', () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.stop();
    });
    this.track(this.look(subscriber, false));
    this.start();
  }

  async close(): Promise<void> {
    for (const subscriber of this.subscribers) subscriber.response.end();
    this.subscribers.clear();
    this.stop();
    await Promise.all(this.reading);
  }

  private track(reading: Promise<void>): void {
    this.reading.add(reading);
    void reading.finally(() => this.reading.delete(reading));
  }

  private start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      for (const subscriber of this.subscribers) this.track(this.look(subscriber, true));
    }, this.intervalMs);
    this.keepalive = setInterval(() => {
      for (const subscriber of this.subscribers) subscriber.response.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
    this.timer.unref();
    this.keepalive.unref();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.keepalive) clearInterval(this.keepalive);
    this.timer = null;
    this.keepalive = null;
  }

  /** Compare what the subscriber saw with now; `emit` false records a baseline. */
  private async look(subscriber: Subscriber, emit: boolean): Promise<void> {
    if (subscriber.busy) return; // a slow store: skip a tick rather than pile reads up
    subscriber.busy = true;
    try {
      const listing = await this.listing(subscriber.target);
      if (emit && subscriber.listing !== null && listing !== subscriber.listing) {
        send(subscriber.response, 'runs', { store: subscriber.target.index });
      }
      subscriber.listing = listing;
      for (const run of await this.changedRuns(subscriber)) {
        if (emit) send(subscriber.response, 'run', runEvent(subscriber.target.index, run, this.now()));
      }
    } catch {
      // a store that fails now (a run folder being written, a dropped connection) is looked at again next tick
    } finally {
      subscriber.busy = false;
    }
  }

  /** A fingerprint of which runs exist: the folder names, or the newest id and number of runs in MongoDB. */
  private async listing(target: BoardStore): Promise<string> {
    if (target.folder !== null) {
      const names = await readdir(target.folder);
      return names
        .filter((name) => !name.startsWith('_') && !name.startsWith('.'))
        .sort()
        .join('/');
    }
    const newest = await target.store.find({}, { sort: { _id: -1 }, limit: 1 });
    return JSON.stringify(newest[0]?._id ?? null);
  }

  private async changedRuns(subscriber: Subscriber): Promise<StoredRun[]> {
    const { target, ids, known } = subscriber;
    const changed: StoredRun[] = [];
    if (target.folder !== null) {
      for (const id of ids) {
        const folder = join(target.folder, String(id));
        const times = await Promise.all(
          ['run.json', 'metrics.json', 'cout.txt'].map((file) =>
            stat(join(folder, file)).then(
              (s) => s.mtimeMs,
              () => 0,
            ),
          ),
        );
        const files = times.join('/');
        let run = subscriber.lastRead.get(id) ?? null;
        if (run === null || !known.get(id)?.startsWith(`${files}/`)) {
          run = await target.store.get(id).catch(() => null);
          if (run) subscriber.lastRead.set(id, run);
          else subscriber.lastRead.delete(id);
        }
        const signature = `${files}/${run !== null && isProbablyDead(run, this.now())}`;
        if (known.get(id) === signature) continue;
        known.set(id, signature);
        if (run) changed.push(run);
      }
      return changed;
    }
    if (ids.length === 0) return changed;
    const runs = await target.store.find({ _id: { $in: ids } } as unknown as JsonObject);
    for (const run of runs) {
      const signature = JSON.stringify([run.status, run.heartbeat, run.stop_time, isProbablyDead(run, this.now())]);
      if (known.get(run._id) === signature) continue;
      known.set(run._id, signature);
      changed.push(run);
    }
    return changed;
  }
}

function runEvent(store: number, run: StoredRun, now: Date) {
  return {
    store,
    id: run._id,
    status: run.status,
    probablyDead: isProbablyDead(run, now),
    heartbeat: run.heartbeat?.toISOString() ?? null,
    stop_time: run.stop_time?.toISOString() ?? null,
    result: run.result ?? null,
  };
}

function send(response: ServerResponse, event: string, data: unknown): void {
  response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
