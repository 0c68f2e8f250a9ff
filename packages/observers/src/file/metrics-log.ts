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
 * The text files are a cache for the rewrite, deleted when the run ends;
 * the JSON-lines log is the record.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError } from '@ritual/core';
import { compareSacredKeys, sacredJsonString, spelledAsInJavaScript } from '@ritual/core/observer-kit';
import type { MetricSeries } from '@ritual/core';
import { TextBytes } from './metric-text.js';
import { METRICS_LOG, PRIVATE_DIR, RUN_FILES } from './run-folder.js';


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

/** The metrics.json items of one metric so far, one text file per array. */
interface MetricText {
  handles: FileHandle[];
  paths: string[];
  /**
   * Points whose items are in all three files, and the bytes of each file
   * (ARRAYS order) that hold them: what a rewrite may copy. Both change
   * together, synchronously, once a chunk's three writes have finished.
   */
  points: number;
  bytes: number[];
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

/** Non-finite values as strings in the log, so the log stays plain JSON lines. */
function encodeValue(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}
function decodeValue(value: unknown): number {
  return typeof value === 'string' ? Number(value) : (value as number);
}

export class MetricsLog {
  private readonly series = new Map<string, MetricText>();
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
  /** Reused chunks of steps and values for JSON.stringify (see packedCopy). */
  private readonly stepsChunk: number[] = [];
  private readonly valuesChunk: number[] = [];
  private appending: Promise<void> = Promise.resolve();

  constructor(private readonly runDir: string) {}

  /**
   * Append new points, then maybe refresh metrics.json in the background.
   * A beat's points are encoded a chunk at a time, so the memory an append
   * needs does not grow with how many points the beat brought.
   */
  append(batches: MetricSeries[]): Promise<void> {
    // The encoding buffers are shared: appends run one after another.
    const appended = this.appending.then(() => this.appendNow(batches));
    this.appending = appended.catch(() => undefined);
    return appended;
  }

  private async appendNow(batches: MetricSeries[]): Promise<void> {
    this.throwBackgroundError();
    if (batches.every((batch) => batch.steps.length === 0)) return;
    // What a failed append left unwritten is not carried into this one (the failed event is journaled whole).
    this.logText.clear();
    for (const items of this.itemTexts) items.clear();
    this.handle ??= await open(join(this.runDir, METRICS_LOG), 'a');
    for (const batch of batches) {
      const n = batch.steps.length;
      if (n === 0) continue;
      const metric = await this.metricText(batch.name);
      const name = JSON.stringify(batch.name);
      for (let from = 0; from < n; from += CHUNK_POINTS) {
        const to = Math.min(n, from + CHUNK_POINTS);
        this.encodeChunk(name, metric, batch, from, to);
        // One wait per chunk, the files written side by side: each wait lets the
        // training loop run, so waits must be few for the flush to outpace it.
        await Promise.all([this.logText.length >= WRITE_BLOCK_BYTES ? this.writeLog() : undefined, this.writeItems(metric, to - from)]);
        this.totalPoints += to - from;
      }
    }
    await this.writeLog();
    // The log stays open, so writes would go on "succeeding" into a deleted
    // file if the run folder was removed: check, so that the points are
    // reported as undelivered (and journaled) instead of silently lost.
    if ((await this.handle.stat()).nlink === 0) {
      throw new BackendError(`The run folder ${this.runDir} was deleted while the run was writing to it.`);
    }
    this.maybeMaterialise();
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
    const continued = metric.points > 0;
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
  }

  /** Write the encoded items at the end of each file (by position, so a failed write is overwritten, not left in the middle). */
  private async writeItems(metric: MetricText, points: number): Promise<void> {
    await Promise.all(this.itemTexts.map((items, i) => metric.handles[i]!.write(items.view(), 0, items.length, metric.bytes[i])));
    for (const [i, items] of this.itemTexts.entries()) {
      metric.bytes[i]! += items.length;
      items.clear();
    }
    metric.points += points;
  }

  private async writeLog(): Promise<void> {
    if (this.logText.length === 0) return;
    await this.handle!.write(this.logText.view());
    this.logText.clear();
  }

  private async metricText(name: string): Promise<MetricText> {
    let metric = this.series.get(name);
    if (!metric) {
      const dir = join(this.runDir, PRIVATE_DIR, 'metrics-text');
      await mkdir(dir, { recursive: true });
      const paths = ARRAYS.map((array) => join(dir, `${this.series.size}.${array}`));
      const handles = await Promise.all(paths.map((path) => open(path, 'w+')));
      metric = { handles, paths, points: 0, bytes: [0, 0, 0] };
      this.series.set(name, metric);
    }
    return metric;
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
      this.inFlight = this.materialise()
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

  /** Bring metrics.json up to date with every point (end of run). */
  async flush(): Promise<void> {
    await this.settle();
    this.throwBackgroundError();
    if (this.totalPoints > this.materialisedPoints) await this.materialise();
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined; // stops background rewrites from chaining
    await this.settle();
    await handle?.close();
    // The item files only serve rewrites of metrics.json; the log stays the record.
    // Every file at once: the end of a run waits for two round trips to the
    // thread pool (close, then remove) instead of two per file, three per metric.
    await Promise.all(
      [...this.series.values()].flatMap((metric) =>
        metric.handles.map(async (itemHandle, i) => {
          await itemHandle.close().catch(() => undefined);
          await rm(metric.paths[i]!, { force: true });
        }),
      ),
    );
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
  private async materialise(): Promise<void> {
    const snapshot = [...this.series.entries()]
      .map(([name, metric]) => ({ name, metric, committed: { points: metric.points, bytes: [...metric.bytes] } }))
      .sort((a, b) => compareSacredKeys(a.name, b.name));
    const points = snapshot.reduce((sum, entry) => sum + entry.committed.points, 0);
    const target = join(this.runDir, RUN_FILES.metrics);
    const temp = join(this.runDir, PRIVATE_DIR, `${RUN_FILES.metrics}.${randomBytes(6).toString('hex')}.tmp`);
    const out = await open(temp, 'w');
    const copier = new BlockCopier(out);
    try {
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
            await copier.copy(metric.handles[i]!, bytes, metric.paths[i]!);
            await copier.text('\n    ]');
          }
          await copier.text(index === snapshot.length - 1 ? '\n  }\n}' : '\n  },\n');
        }
      }
      await copier.drain();
      await out.close();
      await rename(temp, target);
      this.materialisedPoints = Math.max(this.materialisedPoints, points);
    } catch (error) {
      await out.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw error;
    }
  }
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
  constructor(private readonly out: FileHandle) {}

  async text(value: string): Promise<void> {
    this.pending.text(value);
    if (this.pending.length >= WRITE_BLOCK_BYTES) await this.drain();
  }

  /** The first `length` bytes of `source`. */
  async copy(source: FileHandle, length: number, path: string): Promise<void> {
    for (let position = 0; position < length; ) {
      const want = Math.min(WRITE_BLOCK_BYTES, length - position);
      const { bytesRead } = await source.read(this.pending.writable(want), 0, want, position);
      if (bytesRead !== want) throw new BackendError(`The metrics text file ${path} is shorter than expected; metrics.json was not rewritten.`);
      this.pending.length += bytesRead;
      position += bytesRead;
      if (this.pending.length >= WRITE_BLOCK_BYTES) await this.drain();
    }
  }

  async drain(): Promise<void> {
    if (this.pending.length === 0) return;
    await this.out.write(this.pending.view());
    this.pending.clear();
  }
}

/**
 * Every point of the log (null when the run has no log, e.g. Sacred wrote
 * it). A last line cut by a crash has no newline and is ignored.
 */
export async function readMetricsLog(runDir: string): Promise<Map<string, MetricSeries> | null> {
  let text: string;
  try {
    text = await readFile(join(runDir, METRICS_LOG), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const result = new Map<string, MetricSeries>();
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  for (const line of complete.split('\n')) {
    if (line === '') continue;
    let entry: { name: string; steps: number[]; values: unknown[]; timestamps: number[] };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // a torn line from a crash of an older writer; the rest is still good
    }
    let series = result.get(entry.name);
    if (!series) {
      series = { name: entry.name, steps: [], values: [], timestamps: [] };
      result.set(entry.name, series);
    }
    for (let i = 0; i < entry.steps.length; i += 1) {
      series.steps.push(entry.steps[i] as number);
      series.values.push(decodeValue(entry.values[i]));
      series.timestamps.push(entry.timestamps[i] as number);
    }
  }
  return result;
}
