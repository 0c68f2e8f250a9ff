/**
 * `_sources/` and `_resources/`: one stored copy per file content, named
 * `<stem>_<md5><ext>` as Sacred does, shared by every run of the folder.
 *
 * A copy of a JavaScript or TypeScript file gets `.txt` after that name
 * (`train_<md5>.ts.txt`). The runs folder usually sits inside the user's
 * project, where `tsc` (no `include`: every .ts below the tsconfig), ESLint and
 * test runners glob by extension: a stored `train_<md5>.ts` is compiled, and
 * its `import './data.js'` points at a file that is not there under that
 * name, so the project's own build breaks after one run. Readers find copies
 * through run.json's `[relpath, stored copy]` pointer, so the name is free;
 * copies written under the plain name by earlier versions are still read
 * through their pointers.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, copyFile, mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { BackendError } from '@ritual/core';
import { replaceFileAtomic } from '@ritual/core/observer-kit';
import { errorMessage } from '@ritual/core/observer-kit';

export const SOURCES_DIR = '_sources';
export const RESOURCES_DIR = '_resources';

/** Extensions that compilers, linters and test runners pick up by glob. */
const CODE_EXTENSIONS = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);
/** Appended to the stored copy of a code file, so that no toolchain globs it. */
export const INERT_SUFFIX = '.txt';

/** `<stem>_<md5><ext>`, plus `.txt` for code files (see above). */
export function storedCopyName(path: string, md5: string): string {
  const ext = extname(path);
  const name = `${basename(path, ext)}_${md5}${ext}`;
  return CODE_EXTENSIONS.has(ext.toLowerCase()) ? `${name}${INERT_SUFFIX}` : name;
}

/** md5 hex digest of a file, streamed. */
export async function md5OfFile(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Store `path` under `<baseDir>/<kind>/<stem>_<md5><ext>[.txt]` unless a copy with
 * that content is already there; returns the stored path relative to baseDir
 * (with `/`). Concurrent runs may copy the same file at once: each copies to
 * its own temp name and renames, so the shared copy is never seen half-written.
 */
export async function findOrSave(
  baseDir: string,
  kind: typeof SOURCES_DIR | typeof RESOURCES_DIR,
  path: string,
  md5?: string,
): Promise<string> {
  const digest = md5 ?? (await md5OfFile(path));
  const storedName = storedCopyName(path, digest);
  const relative = `${kind}/${storedName}`;
  const target = join(baseDir, kind, storedName);
  try {
    await access(target);
    return relative;
  } catch {
    // not stored yet
  }
  try {
    await mkdir(join(baseDir, kind), { recursive: true });
    // Not flushed to disk: it is on every run's start-up path, and the source is still there to copy again.
    await replaceFileAtomic(target, (temp) => copyFile(path, temp));
  } catch (error) {
    throw new BackendError(
      `Cannot store ${path} in ${join(baseDir, kind)}: ${errorMessage(error)}. Check that the file still exists and the runs folder is writable.`,
      {
        cause: error,
      },
    );
  }
  return relative;
}
