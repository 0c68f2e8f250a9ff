import { UsageError } from '@ritual/core';
import type { RunStore } from './store.js';

/** URL schemes that name a MongoDB store; anything else is a folder. */
const MONGO_SCHEMES = ['mongodb://', 'mongodb+srv://'];

/**
 * Open the store a user names on the command line or in code:
 * a folder (`./runs`, the default) or a `mongodb://` / `mongodb+srv://` URL.
 * Backends are imported on first use so that file users never load the driver.
 */
export async function openStore(location = 'runs'): Promise<RunStore> {
  if (MONGO_SCHEMES.some((scheme) => location.startsWith(scheme))) {
    const { MongoRunStore } = await import('./mongo/store.js');
    return MongoRunStore.open(location);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new UsageError(
      `Unsupported store ${JSON.stringify(location)}: use a folder path or a URL starting with ${MONGO_SCHEMES.join(' or ')}.`,
    );
  }
  const { FileRunStore } = await import('./file/store.js');
  return FileRunStore.open(location);
}
