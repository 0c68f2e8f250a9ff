/**
 * Where each metric's arrays lie in a run's metrics.json, so one metric can
 * be read alone, a chunk at a time: the reader of a run that ended cleanly,
 * whose metrics log is removed at its end (metrics.json then holds every
 * point, and a second copy doubled the run's size on disk).
 *
 * Parsing metrics.json whole holds every point of the run at once (+218-520
 * MB of heap to compare two runs of 1M points per metric, the reason the log
 * reader streams). Here one pass over the bytes finds each metric's
 * `steps`, `timestamps` and `values` arrays: their contents are numbers or
 * time strings, which hold no `]`, so each array is skipped with a native
 * search, not a byte loop. Then a metric's steps and values are read side
 * by side a block at a time, each block cut after its last comma (numbers
 * hold none) and parsed whole, and handed out CHUNK_POINTS at a time; the
 * timestamps beside them, a chunk's worth of items at a time, only when the
 * reader wants them (a comparison does not: the array is then never read).
 *
 * Only the shape Sacred's metrics.json has is indexed: `{name: {steps: [...],
 * timestamps: [...], values: [...]}}` in any key order and spacing. Anything
 * else is a MetricsJsonShapeError, and the caller parses the file whole.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { MetricSeries } from '@ritual/core';
import { fromSacredTime } from '@ritual/core/observer-kit';
import { BackendError } from '@ritual/core';
import type { MetricChunkOptions } from '../store.js';
import { readExistingFile } from './existing-file.js';
import { parseSacredJson } from './sacred-json.js';

/**
 * Items handed out at a time. A quarter of a log record's 65,536: metrics.json
 * spends ~72 bytes a point (indentation, time strings) against the log's ~28,
 * and a comparison under a 32 MB old-space cap ran out of heap on the text of
 * 65,536-item chunks of two runs at once.
 */
export const CHUNK_POINTS = 16_384;
/** Bytes read at a time while scanning and while reading items. */
const BLOCK_BYTES = 1 << 20;
/**
 * Bytes of steps or values parsed at a time (~3,700 values, ~7,000 steps).
 * Below V8's 128 KB limit for a regular heap object: the decoded text and
 * the parsed numbers die young, in the young generation. 1 MB blocks put the
 * text in large-object space, collected only by full GCs: comparing two runs
 * of 1M points per metric then grew RSS by +99 MB, against +16-24 MB here.
 */
const NUMBER_BLOCK_BYTES = 96 * 1024;
const ARRAY_KEYS = ['steps', 'timestamps', 'values'] as const;
type ArrayKey = (typeof ARRAY_KEYS)[number];
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACKET = 0x5b;

/** Byte range of an array's contents, between its brackets. */
type Range = [start: number, end: number];

/** metrics.json is not shaped as Sacred writes it: read it whole instead. */
export class MetricsJsonShapeError extends Error {
  override readonly name = 'MetricsJsonShapeError';
}

export class MetricsJsonIndex {
  private constructor(
    private readonly path: string,
    /** metrics.json's size and time when indexed: a rewrite since (a run still going) means a new index. */
    readonly size: number,
    readonly modifiedMs: number,
    private readonly arrays: Map<string, Record<ArrayKey, Range>>,
  ) {}

  /** The index of a metrics.json, or null when there is none; MetricsJsonShapeError when not Sacred's shape. */
  static async read(path: string): Promise<MetricsJsonIndex | null> {
    return readExistingFile(path, async (handle, stats) => {
      const arrays = await new Scanner(new Blocks(handle, stats.size)).metrics();
      return new MetricsJsonIndex(path, stats.size, stats.mtimeMs, arrays);
    });
  }

  /** Metric names, sorted. */
  names(): string[] {
    return [...this.arrays.keys()].sort();
  }

  /** One metric's last value, read from the end of its values array: the bytes after its last comma. */
  async lastValue(name: string): Promise<number | null> {
    const ranges = this.arrays.get(name);
    if (ranges === undefined) return null;
    const [start, end] = ranges.values;
    const handle = await open(this.path, 'r');
    try {
      // Most values are under 30 characters; a longer one (spaces, many digits) widens the read.
      for (let width = 64; ; width *= 4) {
        const from = Math.max(start, end - width);
        const buffer = Buffer.alloc(end - from);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
        if (bytesRead < buffer.length)
          throw new MetricsJsonShapeError('metrics.json is shorter than when it was indexed');
        const comma = buffer.lastIndexOf(COMMA);
        if (comma < 0 && from > start) continue;
        const item = buffer
          .subarray(comma + 1)
          .toString('latin1')
          .trim();
        if (item === '') return null;
        return parseNumbers(Buffer.from(`[${item}]`, 'latin1'), this.path, name, true)[0]!;
      }
    } finally {
      await handle.close();
    }
  }

  /** One metric's points in order, at most CHUNK_POINTS at a time. */
  async *chunks(name: string, options: MetricChunkOptions = {}): AsyncGenerator<MetricSeries> {
    const ranges = this.arrays.get(name);
    if (ranges === undefined) return;
    const withTimes = options.timestamps ?? true;
    const handle = await open(this.path, 'r');
    try {
      const path = this.path;
      const stepBlocks = new NumberBlocks(handle, ...ranges.steps, (text) => parseNumbers(text, path, name, false));
      const valueBlocks = new NumberBlocks(handle, ...ranges.values, (text) => parseNumbers(text, path, name, true));
      // Not read at all when not wanted: they are half of metrics.json's bytes, and most of its parsing.
      const timeItems = withTimes ? new ArrayItems(handle, ...ranges.timestamps) : null;
      for (;;) {
        await Promise.all([stepBlocks.fill(CHUNK_POINTS), valueBlocks.fill(CHUNK_POINTS)]);
        const count = Math.min(CHUNK_POINTS, stepBlocks.available, valueBlocks.available);
        if (count === 0) {
          if (stepBlocks.available === 0 && valueBlocks.available === 0) return;
          throw new BackendError(
            `${path}: metric ${JSON.stringify(name)} has not as many values as steps; fix or remove that ` +
              'metrics.json.',
          );
        }
        const steps = stepBlocks.take(count);
        const values = valueBlocks.take(count);
        const timeText = timeItems === null ? null : await timeItems.take(count);
        let timestamps: number[] | undefined = withTimes ? undefined : [];
        yield {
          name,
          steps,
          values,
          // Parsed when first read: a reader of steps and values never reads them.
          get timestamps(): number[] {
            timestamps ??= (parseItems(timeText, path, name) as string[]).map((time) => fromSacredTime(time).getTime());
            return timestamps;
          },
        };
      }
    } finally {
      await handle.close();
    }
  }
}

/**
 * Steps or values: numbers (a null value is NaN, as the whole-file reader
 * reads it). Checked in place, in one loop: a map() and an every() over each
 * chunk cost ~0.2 s of a 1M-point comparison.
 */
function parseNumbers(text: Buffer | null, path: string, name: string, nullIsNaN: boolean): number[] {
  // Numbers are ASCII, and latin1 decodes without utf8's checks (a stray byte fails JSON.parse either way).
  const items = parseItems(text, path, name, 'latin1');
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (typeof item === 'number') continue;
    if (item === null && nullIsNaN) items[i] = Number.NaN;
    else {
      throw new BackendError(
        `${path}: metric ${JSON.stringify(name)} has steps or values that are not numbers; fix or remove that ` +
          'metrics.json.',
      );
    }
  }
  return items as number[];
}

/** `[items]` as bytes, decoded only here: the text of a chunk lives outside the JS heap until it is parsed. */
function parseItems(text: Buffer | null, path: string, name: string, encoding: BufferEncoding = 'utf8'): unknown[] {
  if (text === null) return [];
  try {
    return parseSacredJson(text.toString(encoding)) as unknown[];
  } catch (error) {
    throw new BackendError(
      `${path}: metric ${JSON.stringify(name)} holds an item that is not JSON; fix or remove that metrics.json.`,
      { cause: error },
    );
  }
}

/** A file read a block at a time by position, for the scan. */
class Blocks {
  private buffer = Buffer.alloc(0);
  private start = 0;
  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  /** The byte at `position`, or -1 past the end. */
  async byteAt(position: number): Promise<number> {
    if (position >= this.size) return -1;
    if (position < this.start || position >= this.start + this.buffer.length) await this.load(position);
    return this.buffer[position - this.start]!;
  }

  /** Where `byte` next occurs from `position`, or -1. */
  async indexOf(byte: number, position: number): Promise<number> {
    for (let at = position; at < this.size; ) {
      if (at < this.start || at >= this.start + this.buffer.length) await this.load(at);
      const found = this.buffer.indexOf(byte, at - this.start);
      if (found >= 0) return this.start + found;
      at = this.start + this.buffer.length;
    }
    return -1;
  }

  /**
   * Where the `]` outside any string next occurs from `position` (a string
   * begins and ends at an unescaped `"`; `\` escapes the next byte), or -1.
   * A byte loop: ~130 ms for the 37 MB of a 1M-point metric's timestamps,
   * against ~20 ms for a search for the first `]`, so only when that could
   * be inside a string (see Scanner.endOfStrings).
   */
  async endOfStrings(position: number): Promise<number> {
    let inString = false;
    let escaped = false;
    for (let at = position; at < this.size; ) {
      if (at < this.start || at >= this.start + this.buffer.length) await this.load(at);
      const buffer = this.buffer;
      for (let i = at - this.start; i < buffer.length; i++) {
        const byte = buffer[i]!;
        if (escaped) escaped = false;
        else if (inString) {
          if (byte === BACKSLASH) escaped = true;
          else if (byte === QUOTE) inString = false;
        } else if (byte === QUOTE) inString = true;
        else if (byte === CLOSE_BRACKET) return this.start + i;
      }
      at = this.start + buffer.length;
    }
    return -1;
  }

  async text(from: number, to: number): Promise<string> {
    const bytes = Buffer.alloc(to - from);
    await this.handle.read(bytes, 0, bytes.length, from);
    return bytes.toString('utf8');
  }

  private async load(position: number): Promise<void> {
    const length = Math.min(BLOCK_BYTES, this.size - position);
    if (this.buffer.length < length) this.buffer = Buffer.alloc(BLOCK_BYTES);
    const { bytesRead } = await this.handle.read(this.buffer, 0, length, position);
    this.start = position;
    this.buffer = this.buffer.subarray(0, bytesRead);
  }
}

/** The structure of Sacred's metrics.json, found with as few byte reads as the punctuation needs. */
class Scanner {
  private position = 0;
  constructor(private readonly blocks: Blocks) {}

  async metrics(): Promise<Map<string, Record<ArrayKey, Range>>> {
    const arrays = new Map<string, Record<ArrayKey, Range>>();
    await this.expect('{');
    if ((await this.peek()) === '}') return arrays;
    for (;;) {
      const name = await this.string();
      await this.expect(':');
      arrays.set(name, await this.metric());
      if ((await this.next()) === '}') break;
      this.position -= 1;
      await this.expect(',');
    }
    if ((await this.peek()) !== '') throw new MetricsJsonShapeError('text after the top-level object');
    return arrays;
  }

  private async metric(): Promise<Record<ArrayKey, Range>> {
    const ranges: Partial<Record<ArrayKey, Range>> = {};
    await this.expect('{');
    if ((await this.peek()) !== '}') {
      for (;;) {
        const key = await this.string();
        if (!(ARRAY_KEYS as readonly string[]).includes(key)) throw new MetricsJsonShapeError(`a metric key ${key}`);
        await this.expect(':');
        await this.expect('[');
        const start = this.position;
        // Numbers hold no bracket: the first `]` ends their array (a nested array would end it early and fail the
        // punctuation checks below; items of the wrong type fail in chunks()). Strings (the times) may hold one,
        // or an escaped quote: their array's end is found by following the strings.
        const end =
          (await this.peek()) === '"'
            ? await this.endOfStrings(start)
            : await this.blocks.indexOf(CLOSE_BRACKET, start);
        if (end < 0) throw new MetricsJsonShapeError(`the ${key} array has no end`);
        ranges[key as ArrayKey] = [start, end];
        this.position = end + 1;
        if ((await this.next()) === '}') break;
        this.position -= 1;
        await this.expect(',');
      }
    } else {
      this.position += 1;
    }
    for (const key of ARRAY_KEYS) ranges[key] ??= [0, 0];
    return ranges as Record<ArrayKey, Range>;
  }

  /**
   * The `]` ending an array of strings from `start`. Fast when the first `]`
   * follows (spaces aside) a quote that follows neither a space, `,`, `[`
   * nor a backslash: that quote cannot open a string (one follows `[` or `,` and
   * spaces) nor be escaped, so it closes one and the `]` is outside (Sacred's
   * times end in a digit). Otherwise the strings are followed byte by byte.
   */
  private async endOfStrings(start: number): Promise<number> {
    const candidate = await this.blocks.indexOf(CLOSE_BRACKET, start);
    if (candidate < 0) return -1;
    let quote = candidate - 1;
    while (quote > start && isSpaceByte(await this.blocks.byteAt(quote))) quote--;
    if (quote > start && (await this.blocks.byteAt(quote)) === QUOTE) {
      const before = await this.blocks.byteAt(quote - 1);
      if (!isSpaceByte(before) && before !== COMMA && before !== OPEN_BRACKET && before !== BACKSLASH) return candidate;
    }
    return this.blocks.endOfStrings(start);
  }

  /** A JSON string at the next non-space byte, decoded. */
  private async string(): Promise<string> {
    await this.expect('"');
    const start = this.position - 1;
    let at = start + 1;
    for (;;) {
      const byte = await this.blocks.byteAt(at);
      if (byte < 0) throw new MetricsJsonShapeError('a string without its end');
      if (byte === BACKSLASH) at += 2;
      else if (byte === QUOTE) break;
      else at += 1;
    }
    this.position = at + 1;
    return JSON.parse(await this.blocks.text(start, at + 1)) as string;
  }

  private async expect(char: string): Promise<void> {
    if ((await this.next()) !== char) throw new MetricsJsonShapeError(`expected ${char} at byte ${this.position - 1}`);
  }

  /** The next non-space character (consumed), '' at the end. */
  private async next(): Promise<string> {
    for (;;) {
      const byte = await this.blocks.byteAt(this.position);
      this.position += 1;
      if (byte < 0) return '';
      if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return String.fromCharCode(byte);
    }
  }

  private async peek(): Promise<string> {
    const char = await this.next();
    this.position -= 1;
    return char;
  }
}

const OPEN_ARRAY = Buffer.from('[');
const CLOSE_ARRAY = Buffer.from(']');

function isSpaceByte(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  return true;
}

/**
 * The numbers of one array (steps or values), read forward a block at a
 * time, each block cut after its last comma and parsed whole: no search for
 * each item's comma and no copy into a chunk's text, which cost ~0.1 s of a
 * comparison of two runs of 1M points per metric. A block's numbers wait in
 * `queue` until taken (at most CHUNK_POINTS and a block's worth).
 */
class NumberBlocks {
  /** `[` then the bytes not yet parsed (after the last comma of the previous block), then the next read. */
  private buffer = Buffer.allocUnsafe(NUMBER_BLOCK_BYTES + 1);
  private carried = 0;
  /** Parsed blocks not yet handed out whole; `taken` of the first are. */
  private queue: number[][] = [];
  private taken = 0;
  /** Numbers read and not yet taken. */
  available = 0;
  constructor(
    private readonly handle: FileHandle,
    private position: number,
    private readonly end: number,
    private readonly parse: (text: Buffer) => number[],
  ) {
    this.buffer[0] = OPEN_BRACKET;
  }

  /** Reads and parses blocks until `count` numbers are available or the array is read to its end. */
  async fill(count: number): Promise<void> {
    while (this.available < count && (this.position < this.end || this.carried > 0)) {
      let length = 1 + this.carried;
      if (this.position < this.end) {
        // An item longer than what is left of the buffer (spaces without end): make room.
        if (this.buffer.length - length < NUMBER_BLOCK_BYTES / 2) {
          this.buffer = Buffer.concat([this.buffer.subarray(0, length), Buffer.allocUnsafe(this.buffer.length)]);
        }
        // One byte kept free for the `]` written after the last item.
        const want = Math.min(this.buffer.length - length - 1, this.end - this.position);
        const { bytesRead } = await this.handle.read(this.buffer, length, want, this.position);
        if (bytesRead === 0) throw new MetricsJsonShapeError('metrics.json is shorter than when it was indexed');
        this.position += bytesRead;
        length += bytesRead;
      }
      // At the array's end every byte is items; before it, the items up to the last comma (the rest is carried).
      let cut = length;
      if (this.position < this.end) {
        const comma = this.buffer.lastIndexOf(COMMA, length - 1);
        cut = comma >= 1 ? comma : -1;
      }
      if (cut < 0) {
        this.carried = length - 1;
        continue;
      }
      // The comma (or the free byte after the last item) becomes the `]`; parsing copies the text out.
      this.buffer[cut] = CLOSE_BRACKET;
      const text = this.buffer.subarray(0, cut + 1);
      const parsed = isBlank(text.subarray(1, cut)) ? [] : this.parse(text);
      if (parsed.length > 0) this.queue.push(parsed);
      this.available += parsed.length;
      this.buffer.copyWithin(1, cut + 1, length);
      this.carried = Math.max(length - cut - 1, 0);
    }
  }

  /** The next `count` numbers (count <= available). */
  take(count: number): number[] {
    const parts: number[][] = [];
    for (let need = count; need > 0; ) {
      const block = this.queue[0]!;
      const left = block.length - this.taken;
      if (left <= need) {
        parts.push(this.taken === 0 ? block : block.slice(this.taken));
        this.queue.shift();
        this.taken = 0;
        need -= left;
      } else {
        parts.push(block.slice(this.taken, this.taken + need));
        this.taken += need;
        need = 0;
      }
    }
    this.available -= count;
    // Native copies (slice, concat), not a push per number: a chunk spans a few blocks.
    return parts.length === 1 ? parts[0]! : parts[0]!.concat(...parts.slice(1));
  }
}

/** The items of one array, read forward a block at a time, handed out as text a chunk of items at a time. */
class ArrayItems {
  private pending = Buffer.alloc(0);
  constructor(
    private readonly handle: FileHandle,
    private position: number,
    private readonly end: number,
  ) {}

  /** The next `count` items as the bytes of a JSON array, or null when none are left. */
  async take(count: number): Promise<Buffer | null> {
    const parts: Buffer[] = [OPEN_ARRAY];
    let found = 0;
    while (found < count) {
      if (this.pending.length === 0) {
        if (this.position >= this.end) break;
        // Every byte is overwritten by the read (a short read is cut off below).
        const block = Buffer.allocUnsafe(Math.min(BLOCK_BYTES, this.end - this.position));
        const { bytesRead } = await this.handle.read(block, 0, block.length, this.position);
        if (bytesRead === 0) break;
        this.position += bytesRead;
        this.pending = block.subarray(0, bytesRead);
      }
      let cut = -1;
      for (let at = 0; found < count; found++) {
        const comma = this.pending.indexOf(COMMA, at);
        if (comma < 0) break;
        cut = comma;
        at = comma + 1;
      }
      if (found < count) {
        parts.push(this.pending);
        this.pending = Buffer.alloc(0);
      } else {
        parts.push(this.pending.subarray(0, cut));
        this.pending = this.pending.subarray(cut + 1);
      }
    }
    // No comma met: the array's last item, or only the spaces before its `]`.
    if (found === 0 && parts.every((part, i) => i === 0 || isBlank(part))) return null;
    parts.push(CLOSE_ARRAY);
    return Buffer.concat(parts);
  }
}
