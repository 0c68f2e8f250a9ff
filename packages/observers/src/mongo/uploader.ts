import { setTimeout as sleep } from 'node:timers/promises';
import type { MongoHandles } from './connection.js';
import { isTransientMongoError } from './driver.js';
import type { PlannedMetrics } from './metric-plan.js';
import { AttemptSupersededError, type Operation } from './run-writer.js';
import { errorMessage, needTurnsUntil } from '@ritual/core/observer-kit';

export type UploaderState = 'connecting' | 'online' | 'offline' | 'failed' | 'stopped';

interface Pending {
  seq: number;
  operation: Operation;
  /** Sent at least once: it may be partly in the database, so it is only ever retried on its own. */
  attempted: boolean;
}

/** Most flushes merged into one write. */
const MAX_MERGED = 500;

export interface UploaderOptions {
  connect(): Promise<MongoHandles>;
  /** Called after each operation is in the database (the journal records it). */
  acknowledge(seq: number): void;
  /** One line for the user when the connection is lost, comes back, or gives up. */
  log(line: string): void;
  /** Where the journal is kept, for the messages. */
  describe: string;
  /** Pause between attempts while the database is unreachable. */
  retryDelayMS?: number;
  /** Writes several metric flushes as one (see RunWriter.writeMergedMetrics). */
  mergeMetrics?(handles: MongoHandles, plans: PlannedMetrics[]): Promise<void>;
}

/**
 * Sends planned operations to MongoDB strictly in journal order, in the
 * background. While the database is unreachable it keeps retrying the oldest
 * operation (every operation is idempotent, so a retry after a lost
 * acknowledgement is harmless); the training loop never waits on it except
 * where the observer asks (start, end) and then only up to a deadline.
 * An error that is not about reachability (the server refused a document) is
 * retried twice, then the uploader stops and leaves the rest in the journal;
 * an attempt of a queued run that another attempt superseded stops at once.
 */
export class Uploader {
  private readonly queue: Pending[] = [];
  private handles: MongoHandles | null = null;
  private loop: Promise<void> | null = null;
  private wake: AbortController | null = null;
  private waiters: Array<() => void> = [];
  state: UploaderState = 'connecting';
  lastError: unknown = null;
  acked = 0;

  constructor(private readonly options: UploaderOptions) {}

  push(seq: number, operation: Operation): void {
    if (this.state === 'failed' || this.state === 'stopped') return;
    this.queue.push({ seq, operation, attempted: false });
    // Start on a later tick: the caller (a training loop's flush) returns at once.
    this.loop ??= sleep(0)
      .then(() => this.run())
      .finally(() => {
        this.loop = null;
        this.notify();
      });
  }

  get pending(): number {
    return this.queue.length;
  }

  get connection(): MongoHandles | null {
    return this.handles;
  }

  /** Resolves true once everything pushed so far is in the database, false at the deadline or if the uploader gave up. */
  async drain(timeoutMS: number, untilOffline = false): Promise<boolean> {
    const deadline = Date.now() + timeoutMS;
    while (this.queue.length > 0 && this.loop && Date.now() < deadline && !(untilOffline && this.state === 'offline')) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      });
      clearTimeout(timer);
    }
    return this.queue.length === 0;
  }

  /** Stops retrying and closes the connection (bounded: never hangs on a dead server). */
  async stop(): Promise<void> {
    this.state = 'stopped';
    this.wake?.abort();
    const client = this.handles?.client;
    this.handles = null;
    if (client) await Promise.race([client.close(true).catch(() => {}), sleep(2000, undefined, { ref: false })]);
    if (this.loop) await Promise.race([this.loop, sleep(2000, undefined, { ref: false })]);
  }

  /** The head, plus the never-attempted metric flushes and beats that follow it when the head is one too. */
  private mergeableGroup(): Pending[] {
    const head = this.queue[0]!;
    if (!this.options.mergeMetrics || head.attempted || !head.operation.metrics) return [head];
    let end = 1;
    while (end < this.queue.length && end < MAX_MERGED) {
      const entry = this.queue[end]!;
      if (entry.attempted || !(entry.operation.metrics || entry.operation.mergeable)) break;
      end += 1;
    }
    return this.queue.slice(0, end);
  }

  private async send(handles: MongoHandles, group: Pending[]): Promise<void> {
    if (group.length > 1 && this.options.mergeMetrics) {
      // A backlog (the database is slower than the training, or was away): its metric
      // flushes go as one write, then the beats in order; moving points earlier is harmless.
      await this.options.mergeMetrics(
        handles,
        group.flatMap((entry) => (entry.operation.metrics ? [entry.operation.metrics] : [])),
      );
      for (const entry of group) if (!entry.operation.metrics) await entry.operation(handles);
    } else {
      await group.at(-1)!.operation(handles);
    }
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private async run(): Promise<void> {
    let refusals = 0;
    while (this.queue.length > 0 && this.state !== 'stopped' && this.state !== 'failed') {
      const group = this.mergeableGroup();
      const last = group.at(-1)!;
      try {
        if (!this.handles) {
          const handles = await this.options.connect();
          // stop() may have run while connecting: it could not close this client, so close it here,
          // or it keeps the process alive after the run has ended.
          if ((this.state as UploaderState) === 'stopped') {
            await handles.client.close(true).catch(() => {});
            return;
          }
          this.handles = handles;
        }
        for (const entry of group) entry.attempted = true;
        // A training loop that rarely yields (tfjs-node's fit) yields at every batch while a write is on its way.
        await needTurnsUntil(this.send(this.handles, group));
        this.queue.splice(0, group.length);
        this.acked = last.seq;
        this.options.acknowledge(last.seq);
        refusals = 0;
        if (this.state === 'offline')
          this.options.log(`MongoDB is reachable again; uploading the events kept in ${this.options.describe}.`);
        this.state = 'online';
        this.notify();
      } catch (error) {
        if ((this.state as UploaderState) === 'stopped') return;
        this.lastError = error;
        if (error instanceof AttemptSupersededError) {
          // Final: the run is another attempt's now; retrying can only write into it.
          this.state = 'failed';
          this.options.log(errorMessage(error));
          this.notify();
          return;
        }
        if (isTransientMongoError(error)) {
          if (this.state !== 'offline') {
            this.options.log(
              `MongoDB unreachable (${errorMessage(error)}); the run goes on and its events are kept in ${this.options.describe} until it is back.`,
            );
          }
          this.state = 'offline';
        } else if (++refusals > 2) {
          this.state = 'failed';
          this.options.log(
            `MongoDB refused an update (${(error as Error).name}: ${errorMessage(error)}); no more updates are sent, everything stays in ${this.options.describe}.`,
          );
          this.notify();
          return;
        }
        this.notify();
        this.wake = new AbortController();
        await sleep(this.options.retryDelayMS ?? 500, undefined, { signal: this.wake.signal }).catch(() => {});
      }
    }
  }
}
