import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError, type RunId } from '@ritual/core';
import type { RunStore } from '@ritual/observers';
import { openStore } from '@ritual/observers';

/** Where runs are read from when the user names no store. */
export const DEFAULT_STORE = 'runs';

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Split a subcommand's positionals into the optional leading STORE and the
 * rest, so that `ritual show 3` and `ritual show runs 3` both work.
 *
 * - A command with a fixed number of arguments (show: ID; metrics: ID NAME)
 *   has a STORE exactly when it got one positional more than that.
 * - A variadic one (compare: ID ID...) takes the first positional as STORE
 *   when it is a URL, or a folder / path-looking word that is not a bare
 *   number (run ids are numbers, so `ritual compare 1 2` compares two runs).
 */
export function splitStore(
  positionals: string[],
  shape: { fixed: number; usage: string } | { atLeast: number; usage: string },
): { location: string; rest: string[] } {
  const [first, ...others] = positionals;
  if ('fixed' in shape) {
    if (
      positionals.length === shape.fixed &&
      first !== undefined &&
      (first === DEFAULT_STORE || looksLikeStore(first))
    ) {
      // `ritual show runs`: the word is the store, not a run id, and the id was forgotten.
      const missing = shape.fixed === 1 ? 'the run id' : 'an argument';
      throw new UsageError(
        `Missing ${missing} after the store ${JSON.stringify(first)}: expected ${shape.usage}. ` +
          `\`ritual ls ${first}\` lists the run ids.`,
      );
    }
    if (positionals.length === shape.fixed) return { location: DEFAULT_STORE, rest: positionals };
    if (positionals.length === shape.fixed + 1 && first !== undefined) return { location: first, rest: others };
    throw new UsageError(
      `Expected ${shape.usage}, got ${positionals.length === 0 ? 'nothing' : positionals.map((p) => JSON.stringify(p)).join(' ')}.`,
    );
  }
  // A URL is never a run id; other words only when enough ids are left after them.
  const storeFirst =
    first !== undefined && (URL_LIKE.test(first) || (positionals.length > shape.atLeast && looksLikeStore(first)));
  const location = storeFirst ? first : DEFAULT_STORE;
  const rest = storeFirst ? others : positionals;
  if (rest.length < shape.atLeast) {
    throw new UsageError(
      `Expected ${shape.usage}, got ${positionals.length === 0 ? 'nothing' : positionals.map((p) => JSON.stringify(p)).join(' ')}.`,
    );
  }
  return { location, rest };
}

function looksLikeStore(word: string): boolean {
  if (URL_LIKE.test(word)) return true;
  if (/^\d+$/.test(word)) return false;
  return (
    isDirectory(word) || word.includes('/') || word.includes(path.sep) || word.startsWith('.') || word.startsWith('~')
  );
}

function isDirectory(location: string): boolean {
  try {
    return statSync(location).isDirectory();
  } catch {
    return false;
  }
}

/** Run ids are numbers in both Sacred backends; anything else is kept as a string id. */
export function parseRunId(text: string): RunId {
  const trimmed = text.trim();
  if (trimmed === '') throw new UsageError('An empty run id was given; pass the id shown by `ritual ls`.');
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/**
 * Open the store the user named, refusing early (and clearly) a folder that
 * does not exist, so that a typo never looks like an empty list of runs.
 */
export async function openRunStore(location: string): Promise<RunStore> {
  if (!URL_LIKE.test(location)) {
    let stats;
    try {
      stats = statSync(location);
    } catch {
      const hint = location === DEFAULT_STORE ? ' (the default store)' : '';
      throw new UsageError(
        `No runs folder at ${JSON.stringify(location)}${hint} (${path.resolve(location)}). ` +
          'Name the folder your experiments write to (-F DIR), e.g. `ritual ls path/to/runs`, or a mongodb:// URL.',
      );
    }
    if (!stats.isDirectory()) {
      throw new UsageError(
        `${JSON.stringify(location)} is a file, not a runs folder. Name the folder your experiments write to (-F DIR), or a mongodb:// URL.`,
      );
    }
  }
  return openStore(location);
}

/** Run the body with an open store and always close it, even when the body throws. */
export async function withStore<T>(location: string, body: (store: RunStore) => Promise<T>): Promise<T> {
  const store = await openRunStore(location);
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}
