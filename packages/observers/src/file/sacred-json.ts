/**
 * Sacred's JSON files (`json.dump(obj, sort_keys=True, indent=2)`, spelled by
 * core's formatSacredJson), written atomically, and read back tolerantly.
 *
 * Non-finite numbers are written as Sacred writes them, as the bare tokens
 * `NaN`/`Infinity`/`-Infinity`, which Python's json reads but JSON.parse
 * refuses; parseSacredJson reads them, so every reader in ritual goes
 * through it.
 */
import { readFile } from 'node:fs/promises';
import { formatSacredJson, writeFileAtomic, type AtomicWriteOptions } from '@ritual/core/observer-kit';

export { formatSacredJson };

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
    typeof value === 'string' && value.startsWith(NON_FINITE_MARK)
      ? Number(value.slice(NON_FINITE_MARK.length))
      : value,
  );
}

export async function readSacredJson(path: string): Promise<unknown> {
  return parseSacredJson(await readFile(path, 'utf8'));
}
