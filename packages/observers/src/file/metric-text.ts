/**
 * Metric points as text, written straight into reusable byte buffers: the
 * records of the JSON-lines log and the items of Sacred's metrics.json arrays.
 *
 * A run can log a million points a second; building that text as strings
 * (one per number, joined, then converted to bytes for the write) made the
 * file observer slower than the points arrived, and the giant strings of one
 * beat lived in V8's old space. Here doubles go through one native
 * `JSON.stringify` per chunk (its shortest round-trip digits are exactly
 * `String(x)`'s for finite numbers), and the same digits serve both files;
 * whole-millisecond timestamps are written digit by digit. The output is
 * byte for byte what the string-based writer produced.
 */
import { sacredJsonNumber, toSacredTime } from '@ritual/core/observer-kit';

const COMMA = 0x2c;
const NEWLINE = 0x0a;
const SPACE = 0x20;
const QUOTE = 0x22;
const ZERO = 0x30;
const MINUS = 0x2d;
/** Python's json.dump(indent=2) puts the items of a metric's arrays at depth 3. */
const ITEM_INDENT = 6;
/** Shorter strings are copied in JavaScript; longer ones by the native encoder. */
const NATIVE_COPY_CHARS = 64;
const utf8 = new TextEncoder();

export class TextBytes {
  private bytes: Uint8Array;
  length = 0;

  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(capacity);
  }

  /** The text so far; valid until the next write. */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }

  /** `JSON.stringify(x)` of a number: null for NaN and the infinities. */
  jsonNumber(x: number): void {
    if (Number.isSafeInteger(x)) this.integer(x);
    else this.text(JSON.stringify(x));
  }

  /** Room for `count` more bytes after the text, for a read to fill; add what it filled to `length`. */
  writable(count: number): Uint8Array {
    this.reserve(count);
    return this.bytes.subarray(this.length, this.length + count);
  }

  /** `bytes` at `position` (at most the current length), replacing everything after it: a file's positioned write. */
  writeAt(position: number, bytes: Uint8Array): void {
    if (position > this.length) throw new RangeError(`writeAt ${position} past the end (${this.length})`);
    this.length = position;
    this.writable(bytes.length).set(bytes);
    this.length += bytes.length;
  }

  /** Any text, as UTF-8. */
  text(value: string): void {
    this.reserve(value.length * 3);
    if (value.length <= NATIVE_COPY_CHARS && isAscii(value)) this.copyAscii(value);
    else this.length += utf8.encodeInto(value, this.bytes.subarray(this.length)).written;
  }

  /**
   * `[a,b,…]` for epoch-millisecond timestamps as JSON.stringify writes them.
   * At a high rate many points share a millisecond: a run of equal values is
   * written once and copied.
   */
  jsonTimestamps(values: readonly number[], from: number, to: number): void {
    this.byte(0x5b);
    for (let i = from; i < to; ) {
      const x = values[i]!;
      let end = i + 1;
      while (end < to && values[end] === x) end++;
      if (i > from) this.byte(COMMA);
      const start = this.length;
      this.jsonNumber(x);
      this.repeatItem(start, end - i - 1);
      i = end;
    }
    this.byte(0x5d);
  }

  /**
   * The items of a JSON array of numbers (the bytes of `[a,b,…]`, no spaces)
   * as items of a metrics.json array: each on its own line, indented,
   * separated by commas; `continued` when items already precede these in the
   * array. Reads bytes, not the string: a byte loop is ~4x faster here than
   * `charCodeAt`, and the caller has just encoded the JSON into the log anyway.
   */
  sacredItemsOf(json: Uint8Array, continued: boolean): void {
    if (json.length <= 2) return;
    this.reserve(json.length * (ITEM_INDENT + 2) + 2);
    const bytes = this.bytes;
    let at = this.length;
    if (continued) bytes[at++] = COMMA;
    bytes[at++] = NEWLINE;
    for (let k = 0; k < ITEM_INDENT; k++) bytes[at++] = SPACE;
    const end = json.length - 1;
    for (let i = 1; i < end; i++) {
      const c = json[i]!;
      bytes[at++] = c;
      if (c === COMMA) {
        bytes[at++] = NEWLINE;
        for (let k = 0; k < ITEM_INDENT; k++) bytes[at++] = SPACE;
      }
    }
    this.length = at;
  }

  /**
   * Make the JSON array written from `start` part of one array written in
   * parts: its `[` opens the array (first part) or becomes the comma after
   * the previous part; its `]` closes the array only after the last part.
   */
  joinArrayPart(start: number, first: boolean, last: boolean): void {
    if (!first) this.bytes[start] = COMMA;
    if (!last) this.length -= 1;
  }

  /** Bytes of this text written since `start` (valid until the next write). */
  since(start: number): Uint8Array {
    return this.bytes.subarray(start, this.length);
  }

  /** Bytes `start..end` of this text (valid until the next write). */
  between(start: number, end: number): Uint8Array {
    return this.bytes.subarray(start, end);
  }

  /** metrics.json items spelled one by one as Python's json writes them (`NaN`, `1e-07`, `-0.0`). */
  sacredItemsSpelled(values: readonly number[], from: number, to: number, continued: boolean): void {
    for (let i = from; i < to; i++) {
      this.item(continued || i > from);
      this.text(sacredJsonNumber(values[i]!));
    }
  }

  /**
   * metrics.json timestamps: `"YYYY-MM-DDTHH:MM:SS.mmm000"`, Sacred's naive
   * UTC with six fractional digits. The date part is formatted once per
   * second, and a run of points in one millisecond is written once and copied.
   */
  sacredTimes(timestamps: readonly number[], from: number, to: number, continued: boolean): void {
    let second = Number.NaN;
    let prefix = '';
    for (let i = from; i < to; ) {
      const ms = timestamps[i]!;
      let end = i + 1;
      while (end < to && timestamps[end] === ms) end++;
      const current = Math.floor(ms / 1000);
      if (current !== second) {
        second = current;
        prefix = toSacredTime(current * 1000).slice(0, 20); // `YYYY-MM-DDTHH:MM:SS.`
      }
      const milli = Math.floor(ms - current * 1000);
      this.item(continued || i > from);
      const start = this.length - ITEM_INDENT - 1; // the item's newline and indent
      this.reserve(prefix.length + 9);
      const bytes = this.bytes;
      let at = this.length;
      bytes[at++] = QUOTE;
      for (let k = 0; k < prefix.length; k++) bytes[at++] = prefix.charCodeAt(k);
      bytes[at++] = ZERO + Math.floor(milli / 100);
      bytes[at++] = ZERO + (Math.floor(milli / 10) % 10);
      bytes[at++] = ZERO + (milli % 10);
      bytes[at++] = ZERO;
      bytes[at++] = ZERO;
      bytes[at++] = ZERO;
      bytes[at++] = QUOTE;
      this.length = at;
      this.repeatItem(start, end - i - 1);
      i = end;
    }
  }

  /** What precedes an item of a metrics.json array: `,` after an earlier item, then its own indented line. */
  private item(continued: boolean): void {
    this.reserve(ITEM_INDENT + 2);
    if (continued) this.bytes[this.length++] = COMMA;
    this.bytes[this.length++] = NEWLINE;
    for (let k = 0; k < ITEM_INDENT; k++) this.bytes[this.length++] = SPACE;
  }

  private integer(x: number): void {
    this.reserve(17);
    const bytes = this.bytes;
    let at = this.length;
    if (x < 0) {
      bytes[at++] = MINUS;
      x = -x;
    }
    let digits = 1;
    for (let power = 10; power <= x; power *= 10) digits++;
    at += digits;
    for (let k = at - 1; k >= at - digits; k--) {
      const rest = Math.floor(x / 10);
      bytes[k] = ZERO + (x - rest * 10);
      x = rest;
    }
    this.length = at;
  }

  /**
   * Append `copies` more of the item written since `start`, each after a
   * comma: the unit `,item` is written once, then doubled.
   */
  private repeatItem(start: number, copies: number): void {
    if (copies === 0) return;
    const item = this.length - start;
    this.byte(COMMA);
    this.copyRange(start, item);
    this.repeatLast(item + 1, copies - 1);
  }

  /** Append a copy of `length` bytes starting at `start` of this text. */
  private copyRange(start: number, length: number): void {
    this.reserve(length);
    this.bytes.copyWithin(this.length, start, start + length);
    this.length += length;
  }

  /** Append `times` more copies of the last `unit` bytes, doubling what is copied each time. */
  private repeatLast(unit: number, times: number): void {
    let remaining = unit * times;
    this.reserve(remaining);
    const from = this.length - unit;
    let available = unit;
    while (remaining > 0) {
      const count = Math.min(available, remaining);
      this.bytes.copyWithin(this.length, from, from + count);
      this.length += count;
      remaining -= count;
      available += count;
    }
  }

  private copyAscii(value: string): void {
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < value.length; i++) bytes[at++] = value.charCodeAt(i);
    this.length = at;
  }

  private byte(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return false;
  return true;
}
