import { resolve } from 'node:path';
import { FileRunStore, type RunStore } from '@ritual/observers';

/** A store the board shows: its place in the URL (`/api/stores/0/...`), and its folder when it is one. */
export interface BoardStore {
  index: number;
  store: RunStore;
  /** The runs folder of a file store (watched for changes), null for MongoDB. */
  folder: string | null;
}

export function boardStore(index: number, store: RunStore): BoardStore {
  // FileRunStore resolves its location against the working directory when opened, as resolve() does here
  return { index, store, folder: store instanceof FileRunStore ? resolve(store.location) : null };
}

/** A run id from a URL: numbers are Sacred's ids; anything else is kept as a string (a hand-named folder). */
export function runIdOf(text: string): number | string {
  return /^\d+$/.test(text) ? Number(text) : text;
}

/**
 * Whether a run id from a URL can name a run folder: no separators, not hidden, not `_sources`. The file
 * store refuses anything else too; the live watcher checks it before it stats files under the folder.
 */
export function isRunName(text: string): boolean {
  return text !== '' && !/[\\/]/.test(text) && !text.startsWith('.') && !text.startsWith('_');
}
