/**
 * JSON the way Sacred's FileStorageObserver writes it (`json.dump(obj,
 * sort_keys=True, indent=2)`), written atomically, and read back tolerantly.
 *
 * Why a hand-written serialiser: `JSON.stringify` cannot sort keys that look
 * like integers (JavaScript objects always list them first, numerically),
 * and Python sorts them as strings; Dates must become Sacred's naive-UTC
 * strings wherever they sit (meta.queue_time...).
 *
 * Non-finite numbers: Python's json writes bare `NaN`/`Infinity` tokens,
 * which JSON.parse (and so every JavaScript reader, Omniboard included)
 * rejects. ritual writes `null` instead, which both JSON.parse and Python's
 * json/pandas read (pandas turns None into NaN in a numeric series). The
 * exact non-finite values of metrics survive in the append-only metrics log,
 * which the FileRunStore reads. When reading, the bare tokens Sacred itself
 * writes are accepted too, so runs written by Python are readable.
 */
import { readFile } from 'node:fs/promises';
import { toSacredTime, writeFileAtomic, type AtomicWriteOptions } from '@ritual/core';

/** Serialise like Python's `json.dumps(value, sort_keys=True, indent=2)`. */
export function formatSacredJson(value: unknown): string {
  return write(value, '');
}

function write(value: unknown, indent: string): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(toSacredTime(value));
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + write(item, inner)).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined && typeof item !== 'function')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${write(item, inner)}`).join(',\n')}\n${indent}}`;
  }
  // functions and symbols have no JSON form; Python's json would refuse them, we store null.
  return 'null';
}

/** Replaced whole, never half-written (see @ritual/core's atomic-file). */
export async function writeSacredJson(path: string, value: unknown, options: AtomicWriteOptions = {}): Promise<void> {
  // No trailing newline: byte for byte what Python's json.dump writes.
  await writeFileAtomic(path, formatSacredJson(value), options);
}

const NON_FINITE_MARK = '\u0000ritual-non-finite:';
/** A JSON string literal, or a bare NaN / Infinity / -Infinity token outside strings. */
const STRING_OR_NON_FINITE = /"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)/g;

/** JSON.parse that also accepts the bare NaN/Infinity tokens Python's json writes. */
export function parseSacredJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
  }
  const quoted = text.replace(STRING_OR_NON_FINITE, (match, token: string | undefined) =>
    token === undefined ? match : JSON.stringify(NON_FINITE_MARK + token),
  );
  return JSON.parse(quoted, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(NON_FINITE_MARK) ? Number(value.slice(NON_FINITE_MARK.length)) : value,
  );
}

export async function readSacredJson(path: string): Promise<unknown> {
  return parseSacredJson(await readFile(path, 'utf8'));
}
