/**
 * Where each metric's records lie in a run's metrics log, so one metric can
 * be read alone, a record at a time.
 *
 * The log interleaves every metric's records (`{"name":…,"steps":[…],…}`,
 * one line per metric and chunk of at most 65,536 points). Reading a series
 * used to parse the whole log into arrays: comparing two runs of 1M points
 * per metric held every point of both runs at once (+218 MB heap, 2.1 s).
 * The index is built in one pass over the bytes that parses no JSON (only
 * each line's name), then a metric's records are read by offset and parsed
 * one at a time: memory is one record, not the run, and a reader that stops
 * early (a comparison at its first divergence) reads no further.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { MetricSeries } from '@ritual/core';
import { readExistingFile } from './existing-file.js';
import { METRICS_LOG } from './run-folder.js';

/** Bytes read at a time while scanning for line ends. */
const SCAN_BLOCK_BYTES = 1 << 20;
/** What every record starts with, and what follows its name (a JSON string cannot hold an unescaped `"`). */
const RECORD_HEAD = Buffer.from('{"name":');
const AFTER_NAME = Buffer.from(',"steps":');
const NEWLINE = 0x0a;
const TIMESTAMPS_KEY = Buffer.from(',"timestamps":');
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACE = 0x7b;
const QUOTE = 0x22;
/** Bytes of a line searched for its name during the scan; a longer name is read after the scan. */
const HEAD_WINDOW_BYTES = 4096;

interface LogRecord {
  start: number;
  length: number;
}

export class MetricsLogIndex {
  private constructor(
    private readonly path: string,
    /** The log's size when indexed: a writer that appends later does not change what this index reads. */
    readonly size: number,
    readonly modifiedMs: number,
    private readonly records: Map<string, LogRecord[]>,
  ) {}

  /** The index of a run's log, or null when the run has none (Sacred wrote it). */
  static async read(runDir: string): Promise<MetricsLogIndex | null> {
    const path = join(runDir, METRICS_LOG);
    return readExistingFile(
      path,
      async (handle, stats) => new MetricsLogIndex(path, stats.size, stats.mtimeMs, await scan(handle, stats.size)),
    );
  }

  /** Metric names, sorted. */
  names(): string[] {
    return [...this.records.keys()].sort();
  }

  /**
   * One metric's points in log order, a record at a time. A record that is
   * not valid JSON (torn by a crash of an older writer) is skipped, as the
   * whole-log reader always did; the rest is still good.
   */
  async *chunks(name: string): AsyncGenerator<MetricSeries> {
    const records = this.records.get(name);
    if (records === undefined) return;
    const handle = await open(this.path, 'r');
    try {
      let buffer = Buffer.alloc(0);
      for (const { start, length } of records) {
        if (buffer.length < length) buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, start);
        const chunk = parseRecord(name, buffer.subarray(0, bytesRead));
        if (chunk !== null) yield chunk;
      }
    } finally {
      await handle.close();
    }
  }

  /** One metric's last value, from its last record that holds one (a torn record is skipped, as in chunks). */
  async lastValue(name: string): Promise<number | null> {
    const records = this.records.get(name);
    if (records === undefined) return null;
    const handle = await open(this.path, 'r');
    try {
      for (let i = records.length - 1; i >= 0; i--) {
        const { start, length } = records[i]!;
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, start);
        const values = parseRecord(name, buffer.subarray(0, bytesRead))?.values;
        if (values !== undefined && values.length > 0) return values[values.length - 1]!;
      }
      return null;
    } finally {
      await handle.close();
    }
  }
}

/**
 * A record as a chunk, its timestamps parsed only when read: a comparison
 * never reads them, and they are a third of the record's text. The writer
 * puts them last and they hold only numbers, so the last `,"timestamps":`
 * is where they begin; any other record is parsed whole.
 */
function parseRecord(name: string, line: Buffer): MetricSeries | null {
  const cut = line.lastIndexOf(TIMESTAMPS_KEY);
  const tailStart = cut + TIMESTAMPS_KEY.length;
  if (cut > 0 && line[line.length - 1] === CLOSE_BRACE && onlyNumbers(line, tailStart, line.length - 1)) {
    let head: { steps?: unknown; values?: unknown };
    try {
      head = JSON.parse(`${line.toString('utf8', 0, cut)}}`) as typeof head;
    } catch {
      return null;
    }
    if (Array.isArray(head.steps) && Array.isArray(head.values)) {
      // A copy: the caller reuses `line` for the next record.
      const tail = Buffer.from(line.subarray(tailStart, line.length - 1));
      let timestamps: number[] | undefined;
      return {
        name,
        steps: head.steps as number[],
        values: decodeValues(head.values),
        get timestamps(): number[] {
          timestamps ??= JSON.parse(tail.toString('utf8')) as number[];
          return timestamps;
        },
      };
    }
  }
  try {
    const entry = JSON.parse(line.toString('utf8')) as { steps: number[]; values: unknown[]; timestamps: number[] };
    return { name, steps: entry.steps, values: decodeValues(entry.values), timestamps: entry.timestamps };
  } catch {
    return null;
  }
}

/**
 * `[…]` with no object or string inside: a record torn by a crash and
 * continued by the next has both. Native searches, not a byte loop (a
 * third of the log's bytes pass here).
 */
function onlyNumbers(bytes: Buffer, from: number, to: number): boolean {
  if (to - from < 2 || bytes[from] !== OPEN_BRACKET || bytes[to - 1] !== CLOSE_BRACKET) return false;
  const inside = bytes.subarray(from + 1, to - 1);
  return inside.indexOf(OPEN_BRACE) < 0 && inside.indexOf(QUOTE) < 0;
}

/** The values as numbers; the parsed array itself when it holds no non-finite value (the usual case). */
function decodeValues(values: unknown[]): number[] {
  return values.every((value) => typeof value === 'number') ? (values as number[]) : values.map(decodeValue);
}

/** Non-finite values are strings in the log (`"NaN"`, `"Infinity"`), so that it stays plain JSON lines. */
export function decodeValue(value: unknown): number {
  return typeof value === 'string' ? Number(value) : (value as number);
}

/**
 * Every point of the log (null when the run has no log, e.g. Sacred wrote
 * it). A last line cut by a crash has no newline and is ignored.
 */
export async function readMetricsLog(runDir: string): Promise<Map<string, MetricSeries> | null> {
  const index = await MetricsLogIndex.read(runDir);
  if (index === null) return null;
  const result = new Map<string, MetricSeries>();
  for (const name of index.names()) result.set(name, await wholeSeries(index.chunks(name), name));
  return result;
}

/** The chunks of one series joined (every point in memory: for readers that need the whole series). */
export async function wholeSeries(chunks: AsyncIterable<MetricSeries>, name: string): Promise<MetricSeries> {
  const series: MetricSeries = { name, steps: [], values: [], timestamps: [] };
  for await (const chunk of chunks) {
    for (let i = 0; i < chunk.steps.length; i += 1) {
      series.steps.push(chunk.steps[i]!);
      series.values.push(chunk.values[i]!);
      series.timestamps.push(chunk.timestamps[i]!);
    }
  }
  return series;
}

/**
 * Every whole line of the log (a last line without its newline was cut by a
 * crash and is left out), by metric name. A line whose name cannot be read
 * is left out too: it cannot be parsed either.
 */
async function scan(handle: FileHandle, size: number): Promise<Map<string, LogRecord[]>> {
  const records = new Map<string, LogRecord[]>();
  const block = Buffer.alloc(SCAN_BLOCK_BYTES);
  /** Lines whose head crossed a block boundary: their names are read once the scan is done. */
  const unnamed: LogRecord[] = [];
  let lineStart = 0;
  let headName: string | null | undefined;
  for (let position = 0; position < size; ) {
    const { bytesRead } = await handle.read(block, 0, Math.min(block.length, size - position), position);
    if (bytesRead === 0) break;
    const bytes = block.subarray(0, bytesRead);
    if (lineStart === position) headName = nameAt(bytes, 0);
    for (let at = bytes.indexOf(NEWLINE); at >= 0; at = bytes.indexOf(NEWLINE, at + 1)) {
      const end = position + at;
      const record = { start: lineStart, length: end - lineStart };
      if (headName === undefined) unnamed.push(record);
      else if (headName !== null) add(records, headName, record);
      lineStart = end + 1;
      headName = nameAt(bytes, at + 1);
    }
    position += bytesRead;
  }
  for (const record of unnamed) {
    const head = Buffer.alloc(record.length);
    await handle.read(head, 0, record.length, record.start);
    const name = nameAt(head, 0, head.length);
    if (typeof name === 'string') add(records, name, record);
  }
  return records;
}

function add(records: Map<string, LogRecord[]>, name: string, record: LogRecord): void {
  if (record.length === 0) return;
  const list = records.get(name);
  if (list) list.push(record);
  else records.set(name, [record]);
}

/**
 * The name of the record starting at `at`, looked for in at most `window`
 * bytes (a line can be megabytes long; its name is near its start):
 * undefined when the head runs past what was looked at, null when the line
 * has no name.
 */
function nameAt(bytes: Buffer, at: number, window = HEAD_WINDOW_BYTES): string | null | undefined {
  const head = bytes.subarray(at, Math.min(bytes.length, at + window));
  const end = head.indexOf(AFTER_NAME);
  const newline = head.indexOf(NEWLINE);
  if (newline >= 0 && (end < 0 || newline < end)) return null;
  if (end < 0) return undefined;
  if (head.compare(RECORD_HEAD, 0, RECORD_HEAD.length, 0, RECORD_HEAD.length) !== 0) return null;
  try {
    const name: unknown = JSON.parse(head.toString('utf8', RECORD_HEAD.length, end));
    return typeof name === 'string' ? name : null;
  } catch {
    return null;
  }
}
