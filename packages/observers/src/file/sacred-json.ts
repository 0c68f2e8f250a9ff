/**
 * Sacred's JSON files (`json.dump(obj, sort_keys=True, indent=2)`, spelled by
 * core's formatSacredJson), written atomically, and read back tolerantly.
 *
 * Non-finite numbers are written as Sacred writes them, as the bare tokens
 * `NaN`/`Infinity`/`-Infinity`, which Python's json reads but JSON.parse
 * refuses; parseSacredJson reads them, so every reader in ritual goes
 * through it.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { formatSacredJson } from '@ritual/core/observer-kit';

export { formatSacredJson };

/**
 * Replace `path` atomically: write a temp file in `tempDir` (same file system)
 * and rename it over the target, so a reader or a crash never sees half a file.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array, tempDir = dirname(path)): Promise<void> {
  const temp = join(tempDir, `${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, content);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export async function writeSacredJson(path: string, value: unknown, tempDir?: string): Promise<void> {
  // No trailing newline: byte for byte what Python's json.dump writes.
  await writeFileAtomic(path, formatSacredJson(value), tempDir);
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
