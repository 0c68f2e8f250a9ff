import type { RunStore } from '@ritual/observers';

/**
 * Runs a store could not read (a half-written or hand-edited run folder) are
 * skipped by `find`; a store that does so lists them in `warnings` (the
 * FileRunStore does, e.g. "skipped run 4: ..."). `ls` prints each once on
 * stderr and lists the rest, so one broken folder never hides the others.
 */
export async function collectSkippedRuns<T>(
  store: RunStore,
  find: () => Promise<T[]>,
): Promise<{ runs: T[]; skipped: string[] }> {
  const runs = await find();
  const warnings = (store as RunStore & { warnings?: unknown }).warnings;
  const skipped = Array.isArray(warnings)
    ? [...new Set(warnings.filter((w): w is string => typeof w === 'string'))]
    : [];
  return { runs, skipped };
}
