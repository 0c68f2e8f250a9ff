/**
 * Metrics of one run: an append-only log that makes every flush cost
 * O(new points), and Sacred's metrics.json materialised from it.
 *
 * Sacred re-reads and rewrites the whole metrics.json on every heartbeat, so
 * a long run pays O(points so far) per beat. Here each flush appends lines to
 * `.ritual/metrics.jsonl` (one per metric and chunk of points, in O_APPEND
 * writes; a kill can only truncate the last line, which readers ignore). The
 * metrics.json that Sacred's readers use is rewritten atomically (temp file
 * + rename), in the background (the flush only appends; rewrites never
 * overlap), only when
 *   - the run is small (at most SMALL_RUN_POINTS points: a bounded cost, so
 *     it follows every flush within milliseconds, like Sacred's), or
 *   - the points not yet in it are at least as many as those already in it
 *     (the total doubled),
 * and always completely at the end of the run. So metrics.json is always
 * complete, valid JSON and lags the log by at most half the points while a
 * long run is going; ritual's own store reads the log and sees every point.
 *
 * Each point is formatted once. The flush that appends it to the log also
 * appends its metrics.json items (indented as Python's json.dump writes
 * them) to one text file per metric and array (`.ritual/metrics-text/N.steps`,
 * `.timestamps`, `.values`), so a rewrite only copies bytes from those files
 * between the JSON around them: no formatting, O(1) memory, and the
 * formatting of a million points a second is not repeated at every doubling.
 * While a run's items total at most MEMORY_ITEM_BYTES (every run of up to
 * some ten thousand points) they stay in memory instead, and go to the files
 * only when they outgrow it: three files per metric cost a small run a
 * create, a write per beat, a close and a remove each, round trips that the
 * end of a run waited for (issue 14).
 * The text files are a cache for the rewrite, deleted when the run ends;
 * the JSON-lines log is the record while the run goes on. A run that ends
 * cleanly keeps no second copy: once its final metrics.json is on disk
 * (fsync'd, renamed, its size checked), the log is removed (`discardLog`), so
 * a finished run costs what Sacred's costs on disk. A run that did not end
 * cleanly keeps the log: `ritual fail` and `ritual replay` rebuild from it.
 *
 * A full disk: every write is counted (a short write is an error, never a
 * success), and an append that fails is undone whole: the log is truncated
 * back to where it began and the item files' committed lengths are left as
 * they were. So an event is either entirely in the log or not at all, and
 * the observer chain journals exactly the events that did not reach it.
 * metrics.json is only replaced by a temp file whose every byte was written.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError } from '@ritual/core';
import {
  AtomicFile,
  compareSacredKeys,
  sacredJsonString,
  spelledAsInJavaScript,
  syncFolder,
  writeFully,
} from '@ritual/core/observer-kit';
import type { MetricSeries } from '@ritual/core';
import { TextBytes } from './metric-text.js';
import { MetricsLogIndex } from './metrics-log-index.js';
import { METRICS_LOG, PRIVATE_DIR, RUN_FILES } from './run-folder.js';
import { errorMessage, needTurnsUntil } from '@ritual/core/observer-kit';

/** Runs with at most this many points get metrics.json rewritten at every flush. */
export const SMALL_RUN_POINTS = 10_000;
/**
 * Points encoded at a time (one log line at most): the memory of a flush does
 * not grow with the points of a beat, and the event loop breathes between chunks.
 */
const CHUNK_POINTS = 65_536;
/** Steps or values stringified at a time: strings of at most ~100 kB, below V8's large-object size. */
const STRINGIFY_POINTS = 4_096;
/** Log text collected before one write, and the block in which rewrites copy. */
const WRITE_BLOCK_BYTES = 1 << 20;
/** The arrays of a metric in metrics.json, in its key order. */
const ARRAYS = ['steps', 'timestamps', 'values'] as const;
/**
 * Item bytes of all metrics together kept in memory; beyond, they move to files. The same bound as a
 * rewrite that reads every item at once (WRITE_BLOCK_BYTES), so memory holds what a rewrite would read anyway.
 */
const MEMORY_ITEM_BYTES = WRITE_BLOCK_BYTES;
/** First capacity of a metric's in-memory item text: a run with a few dozen metrics must not zero megabytes. */
const MEMORY_ITEM_CAPACITY = 256;

/** The metrics.json items of one metric so far: one text per array, in memory or in a file each. */
interface MetricText {
  /** The items of each array while they are kept in memory; undefined once they are in files. */
  memory: TextBytes[] | undefined;
  /** The item files (ARRAYS order), empty while the items are in memory. */
  handles: FileHandle[];
  paths: string[];
  /**
   * Points whose items are in all three files and whose log lines are in the
   * log, and the bytes of each file (ARRAYS order) that hold them: what a
   * rewrite may copy. Set from `written` once a whole append succeeded.
   */
  points: number;
  bytes: number[];
  /** Where the append under way has got to; set back to the committed counts when it fails. */
  written: { points: number; bytes: number[] };
}

/** Wait for every write of a step, then fail with the first error: an undo must not race a write still under way. */
async function allWritten(writes: Array<Promise<void> | undefined>): Promise<void> {
  const results = await Promise.allSettled(writes);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}

/**
 * `source[from..to)` copied into `target`, which is reused chunk after chunk:
 * no garbage per chunk, and the copy is a packed array, which JSON.stringify
 * serialises ~1.5x faster than the holey arrays a drain may hand over.
 */
function packedCopy(target: number[], source: readonly number[], from: number, to: number): number[] {
  const n = to - from;
  if (target.length > n) target.length = n;
  // Writing at index length appends, so the array never gets a hole.
  for (let i = 0; i < n; i++) target[i] = source[from + i]!;
  return target;
}

/** Non-finite values as strings in the log, so the log stays plain JSON lines (readers: decodeValue). */
function encodeValue(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

export class MetricsLog {
  private readonly series = new Map<string, MetricText>();
  /** Whether the items went to files (they outgrew MEMORY_ITEM_BYTES); every metric's then, for the rest of the run. */
  private itemsInFiles = false;
  private totalPoints = 0;
  private materialisedPoints = 0;
  private inFlight: Promise<void> | undefined;
  private backgroundError: unknown;
  private handle: FileHandle | undefined;
  /**
   * Reused by every append: the text of the log, and of each metrics.json
   * array. They start small and grow to what the beats bring (doubling, kept
   * for the run): allocating their full 5 MB up front cost every run ~4 ms of
   * zeroing at its start, a tenth of the file observer's start in the
   * training benchmark, for runs that log a few hundred points.
   */
  private readonly logText = new TextBytes();
  private readonly itemTexts = ARRAYS.map(() => new TextBytes());
  /** Encoded items not yet written: per metric, its bytes in each item text and where they go in its files. */
  private readonly pendingItems: Array<{ metric: MetricText; start: number[]; end: number[]; at: number[] }> = [];
  /** Reused chunks of steps and values for JSON.stringify (see packedCopy). */
  private readonly stepsChunk: number[] = [];
  private readonly valuesChunk: number[] = [];
  private appending: Promise<void> = Promise.resolve();
  /** Bytes of the log written so far; what it was when an append began is where a failed one is cut back to. */
  private logBytes = 0;
  /** Set when a failed append could not be undone: the log may end in a torn line, so nothing more is appended. */
  private logBroken: unknown;
  /**
   * What the last rewrite of metrics.json committed: its points, its bytes, and
   * whether it was fsync'd. A background rewrite is not, so the end of a run
   * syncs it before the log, the other copy of those points, may go.
   */
  private lastRewrite = { points: 0, bytes: 0, durable: false };

  /**
   * `itemPrefix` names this instance's item files: a rebuild from the log
   * (`ritual fail` on a run that may still be writing) must not share the
   * live observer's files.
   */
  constructor(
    private readonly runDir: string,
    private readonly itemPrefix = '',
  ) {}

  /**
   * Carry on the log of a run stored earlier (`ritual replay` into the run's
   * own store): a line cut short by a crash is cut off, and the points
   * already logged are indexed, so metrics.json is written with all of them.
   */
  async resume(): Promise<void> {
    const path = join(this.runDir, METRICS_LOG);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      await handle.truncate(await wholeLinesLength(handle));
    } finally {
      await handle.close();
    }
    await this.indexLog();
  }

  /**
   * Rewrite a run's metrics.json from its log, for a run whose process died
   * (metrics.json lags the log by up to half the points while a run goes
   * on). Returns the points written, or null when the run has no log (then
   * metrics.json is left as it is). The live observer's files are not
   * touched, so this is safe beside a process that is still writing.
   */
  static async rebuild(runDir: string): Promise<number | null> {
    try {
      await open(join(runDir, METRICS_LOG), 'r').then((handle) => handle.close());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const log = new MetricsLog(runDir, `rebuild-${randomBytes(4).toString('hex')}-`);
    try {
      await log.indexLog();
      await log.materialise(true);
      return log.totalPoints;
    } finally {
      await log.close();
    }
  }

  /**
   * Index every point of the run's log into the item files, without appending to the log: one metric at a
   * time, a record at a time (metrics-log-index.ts), so a rebuild holds one record in memory, not the run.
   */
  private async indexLog(): Promise<void> {
    const index = await MetricsLogIndex.read(this.runDir);
    if (index === null) return;
    for (const name of index.names()) {
      for await (const chunk of index.chunks(name)) await this.append([chunk], false);
    }
  }

  /**
   * Append new points, then maybe refresh metrics.json in the background.
   * A beat's points are encoded a chunk at a time, so the memory an append
   * needs does not grow with how many points the beat brought.
   */
  append(batches: MetricSeries[], toLog = true): Promise<void> {
    // The encoding buffers are shared: appends run one after another.
    const appended = this.appending.then(() => this.appendNow(batches, toLog));
    this.appending = appended.catch(() => undefined);
    return appended;
  }

  private async appendNow(batches: MetricSeries[], toLog: boolean): Promise<void> {
    this.throwBackgroundError();
    if (this.logBroken !== undefined) throw this.logBroken;
    if (batches.every((batch) => batch.steps.length === 0)) return;
    // What a failed append left unwritten is not carried into this one (the failed event is journaled whole).
    this.logText.clear();
    this.clearItems();
    // The log and new metrics' item files are opened side by side (one wait, see createMetrics).
    await Promise.all([
      toLog && !this.handle ? this.openLog() : undefined,
      this.createMetrics(batches.filter((batch) => batch.steps.length > 0).map((batch) => batch.name)),
    ]);
    const touched = new Set<MetricText>();
    const logStart = this.logBytes;
    let points = 0;
    try {
      for (const batch of batches) {
        const n = batch.steps.length;
        if (n === 0) continue;
        const metric = this.series.get(batch.name)!;
        touched.add(metric);
        const name = JSON.stringify(batch.name);
        for (let from = 0; from < n; from += CHUNK_POINTS) {
          const to = Math.min(n, from + CHUNK_POINTS);
          this.encodeChunk(name, metric, batch, from, to);
          if (!toLog) this.logText.clear();
          points += to - from;
          // Every metric of a beat is encoded before anything is written, so a beat of many small
          // metrics costs one wait, not one per metric: each wait lets the training loop run (on
          // tfjs-node an event-loop turn comes once a second), and every wait of the final beat
          // delays the end of the run. A block's worth of text is written at once, bounding memory.
          if (this.logText.length >= WRITE_BLOCK_BYTES || this.itemsLength() >= WRITE_BLOCK_BYTES) {
            await this.writePending(toLog);
          }
        }
      }
      await this.writePending(toLog);
      if (toLog) {
        // The log stays open, so writes would go on "succeeding" into a deleted
        // file if the run folder was removed: check, so that the points are
        // reported as undelivered (and journaled) instead of silently lost.
        if ((await this.handle!.stat()).nlink === 0) {
          throw new BackendError(`The run folder ${this.runDir} was deleted while the run was writing to it.`);
        }
      }
    } catch (error) {
      for (const metric of touched) metric.written = { points: metric.points, bytes: [...metric.bytes] };
      this.pendingItems.length = 0;
      if (toLog) await this.undoLog(logStart);
      throw error;
    }
    for (const metric of touched) {
      metric.points = metric.written.points;
      metric.bytes = [...metric.written.bytes];
    }
    this.totalPoints += points;
    if (toLog) this.maybeMaterialise();
  }

  private async openLog(): Promise<void> {
    const handle = await open(join(this.runDir, METRICS_LOG), 'a');
    try {
      this.logBytes = (await handle.stat()).size;
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    this.handle = handle;
  }

  private clearItems(): void {
    for (const items of this.itemTexts) items.clear();
    this.pendingItems.length = 0;
  }

  private itemsLength(): number {
    return this.itemTexts.reduce((sum, items) => sum + items.length, 0);
  }

  /**
   * Write what the encoded chunks hold, the log and every metric's item files
   * side by side, and wait once. Each metric's items go at the end of its
   * files by position (recorded when encoded), so a failed write is
   * overwritten by the next append, never left in the middle.
   */
  private async writePending(toLog: boolean): Promise<void> {
    if (!this.itemsInFiles && this.memoryItemBytes() + this.itemsLength() > MEMORY_ITEM_BYTES) {
      await this.moveItemsToFiles();
    }
    const writes: Array<Promise<void>> = [];
    if (toLog) writes.push(this.writeLog());
    for (const { metric, start, end, at } of this.pendingItems) {
      for (const [i, items] of this.itemTexts.entries()) {
        if (end[i]! <= start[i]!) continue;
        const bytes = items.between(start[i]!, end[i]!);
        if (metric.memory) metric.memory[i]!.writeAt(at[i]!, bytes);
        else writes.push(writeFully(metric.handles[i]!, bytes, at[i]!, metric.paths[i]));
      }
    }
    await allWritten(writes);
    this.clearItems();
  }

  /** Cut the log back to where a failed append began (a truncate frees space, so it works on a full disk). */
  private async undoLog(length: number): Promise<void> {
    this.logText.clear();
    this.logBytes = length;
    try {
      await this.handle!.truncate(length);
    } catch (error) {
      this.logBroken = new BackendError(
        `The metrics log ${join(this.runDir, METRICS_LOG)} could not be cut back after a failed write (${errorMessage(error)}); ` +
          'no more points are appended to it, and they are kept in the journal instead.',
        { cause: error },
      );
    }
  }

  /**
   * One record of the log, `{"name":…,"steps":[…],"values":[…],"timestamps":[…]}`
   * (what JSON.stringify of the chunk writes), and the chunk's metrics.json
   * items. Steps and values are stringified once for both, a few thousand at
   * a time: each string then stays below V8's large-object size and dies
   * young, instead of piling up in old space until a full collection.
   */
  private encodeChunk(name: string, metric: MetricText, batch: MetricSeries, from: number, to: number): void {
    const log = this.logText;
    const [stepItems, timeItems, valueItems] = this.itemTexts as [TextBytes, TextBytes, TextBytes];
    const continued = metric.written.points > 0;
    const start = this.itemTexts.map((items) => items.length);
    log.text('{"name":');
    log.text(name);
    log.text(',"steps":');
    for (let part = from; part < to; part += STRINGIFY_POINTS) {
      const steps = packedCopy(this.stepsChunk, batch.steps, part, Math.min(to, part + STRINGIFY_POINTS));
      const at = log.length;
      log.text(JSON.stringify(steps));
      // metrics.json reuses JSON's digits unless Python spells a step otherwise (not finite, tiny, -0).
      if (steps.every(spelledAsInJavaScript)) stepItems.sacredItemsOf(log.since(at), continued || part > from);
      else stepItems.sacredItemsSpelled(steps, 0, steps.length, continued || part > from);
      log.joinArrayPart(at, part === from, part + STRINGIFY_POINTS >= to);
    }
    log.text(',"values":');
    for (let part = from; part < to; part += STRINGIFY_POINTS) {
      const values = packedCopy(this.valuesChunk, batch.values, part, Math.min(to, part + STRINGIFY_POINTS));
      const at = log.length;
      if (values.every(spelledAsInJavaScript)) {
        log.text(JSON.stringify(values));
        valueItems.sacredItemsOf(log.since(at), continued || part > from);
      } else {
        // Python spells some of these otherwise (`NaN`, `1e-07`, `-0.0`): metrics.json gets its spelling.
        log.text(JSON.stringify(values.every(Number.isFinite) ? values : values.map(encodeValue)));
        valueItems.sacredItemsSpelled(values, 0, values.length, continued || part > from);
      }
      log.joinArrayPart(at, part === from, part + STRINGIFY_POINTS >= to);
    }
    log.text(',"timestamps":');
    log.jsonTimestamps(batch.timestamps, from, to);
    log.text('}\n');
    timeItems.sacredTimes(batch.timestamps, from, to, continued);
    this.notePending(metric, start, to - from);
  }

  /**
   * The items just encoded for `metric` (from `start` in each item text), to
   * be written at the end of its files: where they go is taken now, and the
   * append under way counts them as written (a failure sets `written` back).
   */
  private notePending(metric: MetricText, start: number[], points: number): void {
    const end = this.itemTexts.map((items) => items.length);
    const last = this.pendingItems.at(-1);
    const written = metric.written;
    if (last?.metric === metric) {
      // The next chunk of the same metric: its items follow the previous chunk's, in the texts and in the files.
      last.end = end;
    } else {
      this.pendingItems.push({ metric, start, end, at: [...written.bytes] });
    }
    for (let i = 0; i < end.length; i++) written.bytes[i]! += end[i]! - start[i]!;
    written.points += points;
  }

  private async writeLog(): Promise<void> {
    if (this.logText.length === 0) return;
    const length = this.logText.length;
    await writeFully(this.handle!, this.logText.view(), null, join(this.runDir, METRICS_LOG));
    this.logText.clear();
    this.logBytes += length;
  }

  /** Item bytes held in memory, all metrics together (a failed append's leftovers included: an upper bound). */
  private memoryItemBytes(): number {
    let bytes = 0;
    for (const metric of this.series.values()) {
      for (const text of metric.memory ?? []) bytes += text.length;
    }
    return bytes;
  }

  /** The items of each metric of `names` not seen before: in memory while they fit, else in new item files. */
  private async createMetrics(names: readonly string[]): Promise<void> {
    const fresh = [...new Set(names)].filter((name) => !this.series.has(name));
    if (fresh.length === 0) return;
    const files = this.itemsInFiles ? await this.createItemFiles(this.series.size, fresh.length) : undefined;
    for (const [k, name] of fresh.entries()) {
      this.series.set(name, {
        memory: files ? undefined : ARRAYS.map(() => new TextBytes(MEMORY_ITEM_CAPACITY)),
        handles: files?.[k]?.handles ?? [],
        paths: files?.[k]?.paths ?? [],
        points: 0,
        bytes: [0, 0, 0],
        written: { points: 0, bytes: [0, 0, 0] },
      });
    }
  }

  /**
   * The items outgrew memory: every metric's go to files, the same bytes at the same positions, and so do
   * every later metric's. Until all are written the metrics keep their memory (a rewrite under way may read
   * it), and when a write fails they keep it for good: the append that needed the room fails and is undone.
   */
  private async moveItemsToFiles(): Promise<void> {
    const metrics = [...this.series.values()];
    const files = await this.createItemFiles(0, metrics.length);
    try {
      await allWritten(
        metrics.flatMap((metric, k) =>
          metric.memory!.map((text, i) =>
            text.length > 0 ? writeFully(files[k]!.handles[i]!, text.view(), 0, files[k]!.paths[i]) : undefined,
          ),
        ),
      );
    } catch (error) {
      // The write's error is the one to report, not a failed clean-up's.
      await Promise.all(files.map(removeItemFiles)).catch(() => undefined);
      throw error;
    }
    for (const [k, metric] of metrics.entries()) {
      metric.handles = files[k]!.handles;
      metric.paths = files[k]!.paths;
      metric.memory = undefined;
    }
    this.itemsInFiles = true;
  }

  /**
   * Item files for `count` metrics, numbered from `first`, all created at
   * once: the first beat of a run brings every metric it logs, and one wait
   * per metric made the end of a short run wait for a dozen round trips.
   * All or nothing: when one cannot be opened, those that were are closed.
   */
  private async createItemFiles(
    first: number,
    count: number,
  ): Promise<Array<{ handles: FileHandle[]; paths: string[] }>> {
    const dir = join(this.runDir, PRIVATE_DIR, 'metrics-text');
    await mkdir(dir, { recursive: true });
    const created = await Promise.allSettled(
      Array.from({ length: count }, async (_unused, k) => {
        const paths = ARRAYS.map((array) => join(dir, `${this.itemPrefix}${first + k}.${array}`));
        const opened = await Promise.allSettled(paths.map((path) => open(path, 'w+')));
        const handles = opened.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
        const failed = opened.find((result) => result.status === 'rejected');
        if (failed) {
          await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
          throw failed.reason;
        }
        return { handles, paths };
      }),
    );
    const failed = created.find((result) => result.status === 'rejected');
    if (failed) {
      for (const result of created) {
        if (result.status === 'fulfilled')
          await Promise.all(result.value.handles.map((h) => h.close().catch(() => undefined)));
      }
      throw failed.reason;
    }
    return created.map(
      (result) => (result as PromiseFulfilledResult<{ handles: FileHandle[]; paths: string[] }>).value,
    );
  }

  /**
   * Start a background rewrite when the run is small or the points not yet
   * in metrics.json reach those already in it. Never awaited by the flush
   * itself, so a beat costs the append; rewrites never overlap.
   */
  private maybeMaterialise(): void {
    if (this.inFlight) return;
    const pending = this.totalPoints - this.materialisedPoints;
    if (pending > 0 && (this.totalPoints <= SMALL_RUN_POINTS || pending >= this.materialisedPoints)) {
      this.inFlight = needTurnsUntil(this.materialise())
        .catch((error: unknown) => {
          this.backgroundError = error;
        })
        .finally(() => {
          this.inFlight = undefined;
          // Points that arrived meanwhile may already justify the next rewrite.
          if (this.backgroundError === undefined && this.handle) this.maybeMaterialise();
        });
    }
  }

  /**
   * Bring metrics.json up to date with every point. `durable` (the end of a
   * run) also flushes the log and metrics.json to disk, so they survive a
   * power loss with the final run.json.
   */
  async flush(options: { durable?: boolean } = {}): Promise<void> {
    await this.appending;
    await this.settle();
    this.throwBackgroundError();
    const durable = options.durable ?? false;
    // The log's fsync goes beside the rewrite: they are independent copies, and the log is only removed
    // (discardLog) once both are on disk.
    const rewrite = this.totalPoints > this.materialisedPoints ? this.materialise(durable) : undefined;
    await allWritten([rewrite, durable ? this.handle?.sync() : undefined]);
    if (durable && this.lastRewrite.points > 0 && !this.lastRewrite.durable) await this.syncMetricsJson();
  }

  /** fsync the metrics.json a background rewrite left (the rename, too, through its folder). */
  private async syncMetricsJson(): Promise<void> {
    const handle = await open(join(this.runDir, RUN_FILES.metrics), 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await syncFolder(this.runDir);
    this.lastRewrite.durable = true;
  }

  /**
   * The run ended cleanly: remove the log, a second copy of every point, once
   * metrics.json is known to hold them all. Call after `flush({ durable: true })`
   * succeeded. Refuses (throws, the log kept) unless the last rewrite holds every
   * point, was fsync'd, and metrics.json on disk has the size that rewrite
   * wrote: anything else would trade the only complete copy for a doubtful one.
   */
  async discardLog(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined; // stops background rewrites from chaining
    await this.settle();
    const [, onDisk] = await Promise.all([
      handle?.close(),
      this.totalPoints > 0 ? stat(join(this.runDir, RUN_FILES.metrics)).catch(() => null) : null,
    ]);
    const path = join(this.runDir, METRICS_LOG);
    if (this.totalPoints > 0) {
      const { points, bytes, durable } = this.lastRewrite;
      if (points !== this.totalPoints || !durable || onDisk?.size !== bytes) {
        throw new BackendError(
          `metrics.json of ${this.runDir} could not be confirmed complete (${points} of ${this.totalPoints} points` +
            `${durable ? '' : ', not synced'}, ${onDisk?.size ?? 'no'} bytes on disk of ${bytes}); ` +
            `the metrics log ${path} is kept: \`ritual fail\` rebuilds metrics.json from it.`,
        );
      }
    }
    await rm(path, { force: true });
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined; // stops background rewrites from chaining
    await this.settle();
    await handle?.close();
    // The item files only serve rewrites of metrics.json; the log stays the record.
    // Every file at once: the end of a run waits for two round trips to the
    // thread pool (close, then remove) instead of two per file, three per metric.
    await Promise.all([...this.series.values()].map(removeItemFiles));
  }

  /** Wait until no background rewrite runs (one may chain another when it ends). */
  async settle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private throwBackgroundError(): void {
    if (this.backgroundError === undefined) return;
    const error = this.backgroundError;
    this.backgroundError = undefined;
    throw error;
  }

  /** Copy a snapshot of the items into a temp file between their JSON, then rename it over metrics.json. */
  private async materialise(durable = false): Promise<void> {
    const snapshot = [...this.series.entries()]
      .map(([name, metric]) => ({ name, metric, committed: { points: metric.points, bytes: [...metric.bytes] } }))
      .sort((a, b) => compareSacredKeys(a.name, b.name));
    const points = snapshot.reduce((sum, entry) => sum + entry.committed.points, 0);
    const out = await AtomicFile.create(join(this.runDir, RUN_FILES.metrics), {
      tempDir: join(this.runDir, PRIVATE_DIR),
      durable,
    });
    const copier = new BlockCopier(out);
    try {
      // A metrics.json of at most a block (every run of up to some ten thousand points) has its items read
      // all at once, side by side: one wait instead of one per metric and array (see appendNow).
      const totalBytes = snapshot.reduce((sum, { committed }) => sum + committed.bytes.reduce((a, b) => a + b, 0), 0);
      const items = totalBytes <= WRITE_BLOCK_BYTES ? await readItems(snapshot) : undefined;
      if (snapshot.length === 0) {
        await copier.text('{}');
      } else {
        await copier.text('{\n');
        for (const [index, { name, metric, committed }] of snapshot.entries()) {
          await copier.text(`  ${sacredJsonString(name)}: {`);
          for (const [i, array] of ARRAYS.entries()) {
            const bytes = committed.bytes[i]!;
            await copier.text(`${i === 0 ? '' : ','}\n    "${array}": ${bytes === 0 ? '[]' : '['}`);
            if (bytes === 0) continue;
            // Items in memory total at most MEMORY_ITEM_BYTES, so they are always among those read at once.
            const read = items?.get(metric)?.[i];
            if (read) await copier.copied(read);
            else await copier.copy(metric.handles[i]!, bytes, metric.paths[i]!);
            await copier.text('\n    ]');
          }
          await copier.text(index === snapshot.length - 1 ? '\n  }\n}' : '\n  },\n');
        }
      }
      await copier.drain();
    } catch (error) {
      await out.abort();
      throw error;
    }
    await out.commit();
    if (points >= this.lastRewrite.points) this.lastRewrite = { points, bytes: copier.bytes, durable };
    this.materialisedPoints = Math.max(this.materialisedPoints, points);
  }
}

/** Closes a metric's item files and removes them (none while its items are in memory). */
async function removeItemFiles({ handles, paths }: { handles: FileHandle[]; paths: string[] }): Promise<void> {
  await Promise.all(
    handles.map(async (handle, i) => {
      await handle.close().catch(() => undefined);
      await rm(paths[i]!, { force: true });
    }),
  );
}

/**
 * The committed items of every metric in `snapshot`: from memory, or each array's bytes read from its file,
 * all reads at once. Bytes in memory are never changed below the committed length (appends write after it),
 * so a view of them stays what was committed.
 */
async function readItems(
  snapshot: ReadonlyArray<{ metric: MetricText; committed: { bytes: number[] } }>,
): Promise<Map<MetricText, Uint8Array[]>> {
  const items = new Map<MetricText, Uint8Array[]>();
  await Promise.all(
    snapshot.map(async ({ metric, committed }) => {
      const memory = metric.memory;
      if (memory) {
        items.set(
          metric,
          committed.bytes.map((length, i) => memory[i]!.between(0, length)),
        );
        return;
      }
      const arrays = await Promise.all(
        committed.bytes.map(async (length, i) => {
          const buffer = Buffer.allocUnsafe(length);
          if (length === 0) return buffer;
          const { bytesRead } = await metric.handles[i]!.read(buffer, 0, length, 0);
          if (bytesRead !== length) {
            throw new BackendError(
              `The metrics text file ${metric.paths[i]} is shorter than expected; metrics.json was not rewritten.`,
            );
          }
          return buffer;
        }),
      );
      items.set(metric, arrays);
    }),
  );
  return items;
}

/**
 * Writes a file from short texts and byte ranges of other files, gathered in
 * one buffer and written a block at a time: a small metrics.json is a single
 * write (file system calls, not bytes, dominate small rewrites), a large one
 * streams through a bounded buffer.
 */
class BlockCopier {
  /** Grows to at most about two blocks; a small metrics.json never needs more than its size. */
  private readonly pending = new TextBytes();
  /** Bytes written so far: what the file must measure once committed. */
  bytes = 0;
  constructor(private readonly out: AtomicFile) {}

  async text(value: string): Promise<void> {
    this.pending.text(value);
    if (this.pending.length >= WRITE_BLOCK_BYTES) await this.drain();
  }

  /** Bytes already read. */
  async copied(value: Uint8Array): Promise<void> {
    this.pending.writable(value.length).set(value);
    this.pending.length += value.length;
    if (this.pending.length >= WRITE_BLOCK_BYTES) await this.drain();
  }

  /** The first `length` bytes of `source`. */
  async copy(source: FileHandle, length: number, path: string): Promise<void> {
    for (let position = 0; position < length; ) {
      const want = Math.min(WRITE_BLOCK_BYTES, length - position);
      const { bytesRead } = await source.read(this.pending.writable(want), 0, want, position);
      if (bytesRead !== want)
        throw new BackendError(
          `The metrics text file ${path} is shorter than expected; metrics.json was not rewritten.`,
        );
      this.pending.length += bytesRead;
      position += bytesRead;
      if (this.pending.length >= WRITE_BLOCK_BYTES) await this.drain();
    }
  }

  async drain(): Promise<void> {
    if (this.pending.length === 0) return;
    await this.out.write(this.pending.view());
    this.bytes += this.pending.length;
    this.pending.clear();
  }
}

/** Bytes of the file up to and including its last newline: what holds whole log lines. */
async function wholeLinesLength(handle: FileHandle): Promise<number> {
  const block = Buffer.alloc(64 * 1024);
  for (let end = (await handle.stat()).size; end > 0; ) {
    const start = Math.max(0, end - block.length);
    const { bytesRead } = await handle.read(block, 0, end - start, start);
    const newline = block.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (newline >= 0) return start + newline + 1;
    end = start;
  }
  return 0;
}
