/**
 * `_sources/` and `_resources/`: one stored copy per file content, named
 * `<stem>_<md5><ext>` as Sacred does, shared by every run of the folder.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, copyFile, mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { BackendError, replaceFileAtomic } from '@ritual/core';

export const SOURCES_DIR = '_sources';
export const RESOURCES_DIR = '_resources';

/** md5 hex digest of a file, streamed. */
export async function md5OfFile(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Store `path` under `<baseDir>/<kind>/<stem>_<md5><ext>` unless a copy with
 * that content is already there; returns the stored path relative to baseDir
 * (with `/`). Concurrent runs may copy the same file at once: each copies to
 * its own temp name and renames, so the shared copy is never seen half-written.
 */
export async function findOrSave(baseDir: string, kind: typeof SOURCES_DIR | typeof RESOURCES_DIR, path: string, md5?: string): Promise<string> {
  const digest = md5 ?? (await md5OfFile(path));
  const ext = extname(path);
  const storedName = `${basename(path, ext)}_${digest}${ext}`;
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
    throw new BackendError(`Cannot store ${path} in ${join(baseDir, kind)}: ${(error as Error).message}. Check that the file still exists and the runs folder is writable.`, {
      cause: error,
    });
  }
  return relative;
}
