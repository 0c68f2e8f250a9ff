import { setTimeout as sleep } from 'node:timers/promises';
import type { MongoHandles } from './connection.js';
import { isTransientMongoError } from './driver.js';
import type { Operation } from './run-writer.js';

export type UploaderState = 'connecting' | 'online' | 'offline' | 'failed' | 'stopped';

interface Pending {
  seq: number;
  operation: Operation;
}

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
}

/**
 * Sends planned operations to MongoDB strictly in journal order, in the
 * background. While the database is unreachable it keeps retrying the oldest
 * operation (every operation is idempotent, so a retry after a lost
 * acknowledgement is harmless); the training loop never waits on it except
 * where the observer asks (start, end) and then only up to a deadline.
 * An error that is not about reachability (the server refused a document) is
 * retried twice, then the uploader stops and leaves the rest in the journal.
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
    this.queue.push({ seq, operation });
    // Start on a later tick: the caller (a training loop's flush) returns at once.
    this.loop ??= sleep(0).then(() => this.run()).finally(() => {
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

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private async run(): Promise<void> {
    let refusals = 0;
    while (this.queue.length > 0 && this.state !== 'stopped' && this.state !== 'failed') {
      const head = this.queue[0]!;
      try {
        this.handles ??= await this.options.connect();
        await head.operation(this.handles);
        this.queue.shift();
        this.acked = head.seq;
        this.options.acknowledge(head.seq);
        refusals = 0;
        if (this.state === 'offline') this.options.log(`MongoDB is reachable again; uploading the events kept in ${this.options.describe}.`);
        this.state = 'online';
        this.notify();
      } catch (error) {
        if ((this.state as UploaderState) === 'stopped') return;
        this.lastError = error;
        if (isTransientMongoError(error)) {
          if (this.state !== 'offline') {
            this.options.log(`MongoDB unreachable (${(error as Error).message}); the run goes on and its events are kept in ${this.options.describe} until it is back.`);
          }
          this.state = 'offline';
        } else if (++refusals > 2) {
          this.state = 'failed';
          this.options.log(`MongoDB refused an update (${(error as Error).name}: ${(error as Error).message}); no more updates are sent, everything stays in ${this.options.describe}.`);
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
