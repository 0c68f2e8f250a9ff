/**
 * Replacing a file whole (and appending whole): the new content goes to a temp file beside it,
 * and only a temp file whose every byte was written is renamed over the
 * target. A reader, a kill or a full disk never sees half a file under the
 * real name.
 *
 * Why every write is counted: at ENOSPC, write(2) first writes what still
 * fits and returns that count, and only the next call fails. A
 * `FileHandle.write` resolves with that short count, so code that ignores it
 * renames a truncated file over a good one (metrics.json cut at a page
 * boundary, seen on a full tmpfs).
 *
 * `durable` adds fsync of the file before the rename and of its folder after
 * it, so the new content also survives a power loss. That costs a disk flush
 * (milliseconds on a real disk), so it is asked for where it matters: the
 * final run.json, journals, files written once; not each heartbeat's
 * rewrite, which the next beat replaces anyway.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BackendError } from './errors.js';

export interface AtomicWriteOptions {
  /** Folder of the temp file; it must be on the target's file system. Default: the target's folder. */
  tempDir?: string;
  /** fsync the file, and its folder after the rename: the content survives a power loss. Default false. */
  durable?: boolean;
}

const encoder = new TextEncoder();

function bytesOf(content: string | Uint8Array): Uint8Array {
  return typeof content === 'string' ? encoder.encode(content) : content;
}

function tempPathFor(path: string, tempDir: string | undefined): string {
  return join(tempDir ?? dirname(path), `${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

function noProgress(path: string, written: number, length: number): BackendError {
  return new BackendError(
    `Only ${written} of ${length} bytes could be written to ${path} (is the disk full?). Free space on that file system; nothing half-written was kept.`,
    { code: 'ENOSPC' },
  );
}

/**
 * Write every byte of `bytes` at `position` (the current offset when null,
 * or the end for a file opened to append). Short writes are continued; a
 * write that makes no progress is an error, never a silent success.
 */
export async function writeFully(
  handle: FileHandle,
  bytes: Uint8Array,
  position: number | null = null,
  path = 'a file',
): Promise<void> {
  for (let written = 0; written < bytes.length; ) {
    const at = position === null ? null : position + written;
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, at);
    if (bytesWritten === 0) throw noProgress(path, written, bytes.length);
    written += bytesWritten;
  }
}

/** The synchronous twin of writeFully, for writers that must finish before the next event (journals). */
export function writeFullySync(fd: number, bytes: Uint8Array, path = 'a file'): void {
  for (let written = 0; written < bytes.length; ) {
    const bytesWritten = writeSync(fd, bytes, written, bytes.length - written);
    if (bytesWritten === 0) throw noProgress(path, written, bytes.length);
    written += bytesWritten;
  }
}

/** fsync a folder, so a rename or a new file in it survives a power loss. Not every platform can open a folder: then skipped. */
export async function syncFolder(dir: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(dir, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}

function syncFolderSync(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // not supported for folders here (Windows)
  } finally {
    closeSync(fd);
  }
}

/**
 * A file being replaced: write it in as many pieces as needed, then
 * `commit()` renames it over the target, or `abort()` drops it. Every
 * failure before the rename leaves the target as it was.
 */
export class AtomicFile {
  private constructor(
    readonly path: string,
    readonly tempPath: string,
    private readonly handle: FileHandle,
    private readonly durable: boolean,
  ) {}

  static async create(path: string, options: AtomicWriteOptions = {}): Promise<AtomicFile> {
    const tempPath = tempPathFor(path, options.tempDir);
    return new AtomicFile(path, tempPath, await open(tempPath, 'w'), options.durable ?? false);
  }

  write(content: string | Uint8Array): Promise<void> {
    return writeFully(this.handle, bytesOf(content), null, this.tempPath);
  }

  async commit(): Promise<void> {
    try {
      if (this.durable) await this.handle.sync();
      await this.handle.close();
      await rename(this.tempPath, this.path);
    } catch (error) {
      await this.abort();
      throw error;
    }
    if (this.durable) await syncFolder(dirname(this.path));
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }
}

/** Replace `path` with `content` atomically (see the top of this file). */
export async function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const file = await AtomicFile.create(path, options);
  try {
    await file.write(content);
  } catch (error) {
    await file.abort();
    throw error;
  }
  await file.commit();
}

/**
 * Replace `path` with a file that `fill` writes at the temp path it is given
 * (a stream, a copy). `fill` must reject when it could not write everything
 * (Node's streams and copyFile do).
 */
export async function replaceFileAtomic(
  path: string,
  fill: (tempPath: string) => Promise<void>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const tempPath = tempPathFor(path, options.tempDir);
  try {
    await fill(tempPath);
    if (options.durable) {
      const handle = await open(tempPath, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await rename(tempPath, path);
  } catch (error) {
    await rm(tempPath, { force: true });
    throw error;
  }
  if (options.durable) await syncFolder(dirname(path));
}

/** The synchronous form of writeFileAtomic (journals written between two events). */
export function writeFileAtomicSync(
  path: string,
  content: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const tempPath = tempPathFor(path, options.tempDir);
  let fd: number | undefined;
  try {
    fd = openSync(tempPath, 'w');
    writeFullySync(fd, bytesOf(content), tempPath);
    if (options.durable) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tempPath, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tempPath, { force: true });
    throw error;
  }
  if (options.durable) syncFolderSync(dirname(path));
}

/**
 * Append `content` to `path` whole or not at all: a write cut short by a
 * full disk is truncated away again, so the file never ends in a fragment
 * that the next append would glue onto. `durable` fsyncs it (journals).
 */
export function appendFileWholeSync(
  path: string,
  content: string | Uint8Array,
  options: { durable?: boolean } = {},
): void {
  const fd = openSync(path, 'a');
  const size = fstatSync(fd).size;
  try {
    writeFullySync(fd, bytesOf(content), path);
    if (options.durable) fsyncSync(fd);
  } catch (error) {
    ftruncateSync(fd, size);
    throw error;
  } finally {
    closeSync(fd);
  }
}

/** The asynchronous form of appendFileWholeSync. */
export async function appendFileWhole(
  path: string,
  content: string | Uint8Array,
  options: { durable?: boolean } = {},
): Promise<void> {
  const handle = await open(path, 'a');
  try {
    const size = (await handle.stat()).size;
    try {
      await writeFully(handle, bytesOf(content), null, path);
      if (options.durable) await handle.sync();
    } catch (error) {
      await handle.truncate(size);
      throw error;
    }
  } finally {
    await handle.close();
  }
}
