/**
 * JSON spelled exactly as Sacred writes it: Python's `json.dump(obj,
 * sort_keys=True, indent=2)`, whose defaults are `ensure_ascii=True` and
 * `allow_nan=True`. config.json, run.json, info.json, metrics.json and
 * `save_config` all use these spellings, so a file ritual writes is byte for
 * byte what Sacred's FileStorageObserver writes for the same values.
 *
 * What differs from `JSON.stringify`:
 * - strings: every character outside printable ASCII is a `\uXXXX` escape
 *   (lowercase hex; a character beyond the BMP as its surrogate pair; DEL too);
 * - floats: Python's `repr`: scientific below 1e-4 with a signed, at least
 *   two-digit exponent (`1e-05`, `1.5e-07`), `-0.0` for negative zero;
 * - `NaN`, `Infinity`, `-Infinity` as bare tokens (JSON.parse refuses them;
 *   ritual's own readers accept them, see parseSacredJson in the observers);
 * - keys sorted by code point, as Python sorts str (JavaScript's `<` compares
 *   UTF-16 units, and its objects list integer-like keys first).
 *
 * A JavaScript number does not say whether it was an int or a float: a
 * number with an integer value is written as an int (`3`, not `3.0`), so that
 * `epochs: 3` reads back in Python as the int it means. Python's json reads
 * every spelling written here back to a value it writes the same way again.
 */
import { toSacredTime } from './time.js';

const PLAIN_ASCII = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;
// Without the u flag, an astral character matches as its two surrogates, each escaped: Python's ensure_ascii.
const NOT_ASCII = /[\x7f-\uffff]/g;

/** A string literal as Python's json writes it with `ensure_ascii=True`. */
export function sacredJsonString(text: string): string {
  if (PLAIN_ASCII.test(text)) return `"${text}"`;
  // JSON.stringify escapes controls as Python does (\n, \t, ..., \u001f) and lone surrogates; then the rest.
  return JSON.stringify(text).replace(NOT_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A number as Python's json writes it: an int when the value is integral, else `repr(float)`. */
export function sacredJsonNumber(x: number): string {
  if (x !== x) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return 1 / x > 0 ? '0' : '-0.0';
  if (x >= 1e-4 || x <= -1e-4) {
    // Here JavaScript writes Python's digits: fixed notation up to 1e21, where both switch to `1e+21`.
    return String(x);
  }
  // Python writes small floats in scientific notation with a two-digit exponent (`1e-07`, not `1e-7` or `0.00001`).
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
  const digits = exponent.slice(1);
  return `${mantissa}e-${digits.length < 2 ? `0${digits}` : digits}`;
}

/** True when `sacredJsonNumber(x) === String(x)`: a finite number that is not -0 and not within (-1e-4, 1e-4) \ {0}. */
export function spelledAsInJavaScript(x: number): boolean {
  return x >= 1e-4 || x <= -1e-4 ? x - x === 0 : x === 0 && 1 / x > 0;
}

/** Python's order of str keys: by code point (differs from UTF-16 order only beyond U+D7FF). */
export function compareSacredKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  // Both share a[i-1]: when it starts a surrogate pair, compare the whole code points it starts.
  const before = i > 0 ? a.charCodeAt(i - 1) : 0;
  const at = before >= 0xd800 && before <= 0xdbff ? i - 1 : i;
  return (a.codePointAt(at) as number) - (b.codePointAt(at) as number);
}

/** Serialise like Python's `json.dumps(value, sort_keys=True, indent=2)`; Dates as Sacred's naive-UTC strings. */
export function formatSacredJson(value: unknown): string {
  return write(value, '');
}

function write(value: unknown, indent: string): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return sacredJsonNumber(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return sacredJsonString(value);
  if (value instanceof Date) return sacredJsonString(toSacredTime(value));
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + write(item, inner)).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined && typeof item !== 'function')
      .sort(([a], [b]) => compareSacredKeys(a, b));
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([key, item]) => `${inner}${sacredJsonString(key)}: ${write(item, inner)}`).join(',\n')}\n${indent}}`;
  }
  // functions and symbols have no JSON form; Python's json would refuse them, we store null.
  return 'null';
}
