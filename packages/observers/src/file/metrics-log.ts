/**
 * Metrics of one run: an append-only log that makes every flush cost
 * O(new points), and Sacred's metrics.json materialised from it.
 *
 * Sacred re-reads and rewrites the whole metrics.json on every heartbeat, so
 * a long run pays O(points so far) per beat. Here each flush appends one
 * line per metric to `.ritual/metrics.jsonl` (a single write with O_APPEND;
 * a kill can only truncate the last line, which readers ignore). The
 * metrics.json that Sacred's readers use is rewritten atomically (temp file
 * + rename), in the background (the flush only appends; rewrites never
 * overlap and are streamed in blocks), only when
 *   - the run is small (at most SMALL_RUN_POINTS points: a bounded cost, so
 *     it follows every flush within milliseconds, like Sacred's), or
 *   - the points not yet in it are at least as many as those already in it
 *     (the total doubled), which costs O(1) amortised per point,
 * and always completely at the end of the run. So metrics.json is always
 * complete, valid JSON and lags the log by at most half the points while a
 * long run is going; ritual's own store reads the log and sees every point.
 *
 * Memory stays bounded however long the run: the points are not kept. Each
 * metric also gets a binary column file (`.ritual/columns/N.f64`: step,
 * value, timestamp as float64 triples, appended with the log), from which
 * metrics.json is streamed in chunks. The column files are a cache for that
 * rewrite only, deleted when the run ends; the JSON-lines log is the record.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError, toSacredTime } from '@ritual/core';
import type { MetricSeries } from '@ritual/core';
import { METRICS_LOG, PRIVATE_DIR, RUN_FILES } from './run-folder.js';

/** Runs with at most this many points get metrics.json rewritten at every flush. */
export const SMALL_RUN_POINTS = 10_000;
/** Elements formatted at a time while streaming metrics.json, so the event loop keeps breathing. */
const CHUNK_ELEMENTS = 20_000;
/** Text collected before one write to the file. */
const WRITE_BLOCK_CHARS = 1 << 20;

/** The on-disk columns of one metric: float64 triples (step, value, timestamp). */
interface ColumnFile {
  handle: FileHandle;
  path: string;
  /** Points appended so far. */
  count: number;
}

/** Float64s per point in a column file, and the offset of each field in a triple. */
const TRIPLE = 3;
const STEP = 0;
const VALUE = 1;
const TIMESTAMP = 2;

/** Non-finite values as strings in the log, so the log stays plain JSON lines. */
function encodeValue(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}
function decodeValue(value: unknown): number {
  return typeof value === 'string' ? Number(value) : (value as number);
}

export class MetricsLog {
  private readonly series = new Map<string, ColumnFile>();
  private totalPoints = 0;
  private materialisedPoints = 0;
  private inFlight: Promise<void> | undefined;
  private backgroundError: unknown;
  private handle: FileHandle | undefined;

  constructor(private readonly runDir: string) {}

  /** Append new points (one write), then maybe refresh metrics.json in the background. */
  async append(batches: MetricSeries[]): Promise<void> {
    this.throwBackgroundError();
    let text = '';
    for (const batch of batches) {
      if (batch.steps.length === 0) continue;
      text += `${JSON.stringify({ name: batch.name, steps: batch.steps, values: batch.values.map(encodeValue), timestamps: batch.timestamps })}\n`;
    }
    if (text === '') return;
    this.handle ??= await open(join(this.runDir, METRICS_LOG), 'a');
    await this.handle.write(text);
    for (const batch of batches) {
      const n = batch.steps.length;
      if (n === 0) continue;
      const triples = new Float64Array(n * TRIPLE);
      for (let i = 0; i < n; i += 1) {
        triples[i * TRIPLE + STEP] = batch.steps[i] as number;
        triples[i * TRIPLE + VALUE] = batch.values[i] as number;
        triples[i * TRIPLE + TIMESTAMP] = batch.timestamps[i] as number;
      }
      const column = await this.column(batch.name);
      await column.handle.write(new Uint8Array(triples.buffer));
      column.count += n;
      this.totalPoints += n;
    }
    // The log stays open, so writes would go on "succeeding" into a deleted
    // file if the run folder was removed: check, so that the points are
    // reported as undelivered (and journaled) instead of silently lost.
    if ((await this.handle.stat()).nlink === 0) {
      throw new BackendError(`The run folder ${this.runDir} was deleted while the run was writing to it.`);
    }
    this.maybeMaterialise();
  }

  private async column(name: string): Promise<ColumnFile> {
    let column = this.series.get(name);
    if (!column) {
      const dir = join(this.runDir, PRIVATE_DIR, 'columns');
      await mkdir(dir, { recursive: true });
      const path = join(dir, `${this.series.size}.f64`);
      column = { handle: await open(path, 'w+'), path, count: 0 };
      this.series.set(name, column);
    }
    return column;
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
    // The columns only serve rewrites of metrics.json; the log stays the record.
    for (const column of this.series.values()) {
      await column.handle.close().catch(() => undefined);
      await rm(column.path, { force: true });
    }
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

  /** Stream a snapshot of the series into a temp file, then rename it over metrics.json. */
  private async materialise(): Promise<void> {
    const snapshot = [...this.series.entries()]
      .map(([name, column]) => ({ name, column, length: column.count }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const points = snapshot.reduce((sum, entry) => sum + entry.length, 0);
    const target = join(this.runDir, RUN_FILES.metrics);
    const temp = join(this.runDir, PRIVATE_DIR, `${RUN_FILES.metrics}.${randomBytes(6).toString('hex')}.tmp`);
    const out = new BufferedFile(await open(temp, 'w'));
    try {
      if (snapshot.length === 0) {
        await out.write('{}');
      } else {
        await out.write('{\n');
        for (const [index, { name, column, length }] of snapshot.entries()) {
          await out.write(`  ${JSON.stringify(name)}: {\n    "steps": `);
          await writeArray(out, column, STEP, length, (step) => String(step));
          await out.write(',\n    "timestamps": ');
          await writeArray(out, column, TIMESTAMP, length, sacredTimeFormatter());
          await out.write(',\n    "values": ');
          await writeArray(out, column, VALUE, length, (value) => (Number.isFinite(value) ? String(value) : 'null'));
          await out.write(index === snapshot.length - 1 ? '\n  }\n}' : '\n  },\n');
        }
      }
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
 * Collects text and writes it in blocks: a small metrics.json becomes one
 * write (file system calls, not bytes, dominate small rewrites), a large one
 * is streamed without holding it all in memory.
 */
class BufferedFile {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly handle: FileHandle) {}

  async write(text: string): Promise<void> {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= WRITE_BLOCK_CHARS) await this.drain();
  }

  async close(): Promise<void> {
    try {
      await this.drain();
    } finally {
      await this.handle.close();
    }
  }

  private async drain(): Promise<void> {
    if (this.size === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    await this.handle.write(text);
  }
}

/**
 * toSacredTime for long runs of timestamps: points flushed together share
 * their second, so the date part is formatted once per second, not per point.
 */
function sacredTimeFormatter(): (ms: number) => string {
  let second = Number.NaN;
  let prefix = '';
  return (ms) => {
    const current = Math.floor(ms / 1000);
    if (current !== second) {
      second = current;
      prefix = toSacredTime(current * 1000).slice(0, 20); // `YYYY-MM-DDTHH:MM:SS.`
    }
    return `"${prefix}${String(Math.floor(ms - current * 1000)).padStart(3, '0')}000"`;
  };
}

/**
 * One array of metrics.json (one field of a metric's column file), indented
 * as Python's json.dump(indent=2) does at depth 3, read from disk a chunk at
 * a time so that memory does not grow with the run.
 */
async function writeArray(out: BufferedFile, column: ColumnFile, field: number, length: number, format: (item: number) => string): Promise<void> {
  if (length === 0) {
    await out.write('[]');
    return;
  }
  await out.write('[\n');
  const chunk = new Float64Array(CHUNK_ELEMENTS * TRIPLE);
  const bytes = new Uint8Array(chunk.buffer);
  for (let start = 0; start < length; start += CHUNK_ELEMENTS) {
    const end = Math.min(length, start + CHUNK_ELEMENTS);
    const byteLength = (end - start) * TRIPLE * Float64Array.BYTES_PER_ELEMENT;
    const { bytesRead } = await column.handle.read(bytes, 0, byteLength, start * TRIPLE * Float64Array.BYTES_PER_ELEMENT);
    if (bytesRead !== byteLength) throw new BackendError(`The metrics column file ${column.path} is shorter than expected; metrics.json was not rewritten.`);
    const parts: string[] = [];
    for (let i = 0; i < end - start; i += 1) parts.push(`      ${format(chunk[i * TRIPLE + field] as number)}`);
    await out.write(parts.join(',\n') + (end < length ? ',\n' : '\n    ]'));
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
