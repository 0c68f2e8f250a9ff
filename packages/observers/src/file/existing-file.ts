import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';

/**
 * `read(handle, stats)` on the file at `path`, opened for reading and closed
 * afterwards, or null when there is no such file (the metrics indexes: a run
 * Sacred wrote has no log; a run that logged nothing may have no
 * metrics.json). Size and time come from the open handle, so they describe
 * the very file that is read even if it is replaced meanwhile.
 */
export async function readExistingFile<T>(
  path: string,
  read: (handle: FileHandle, stats: Stats) => Promise<T>,
): Promise<T | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return await read(handle, await handle.stat());
  } finally {
    await handle.close();
  }
}
