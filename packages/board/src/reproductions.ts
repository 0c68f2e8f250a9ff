/**
 * The reproductions of a run that `ritual reproduce` stored in the same
 * store, with the verdict each one recorded (`info.reproduce`), for the run
 * page of the original. Found through `meta.reproduces.run`, which run
 * summaries hold (the file store's index answers it without reading any run
 * folder whole), not through `info.reproduce.of`, which would read every run.
 */
import { resolve } from 'node:path';
import type { JsonObject, RunId } from '@ritual/core';
import type { BoardStore } from './board-store.js';

/** More than a page shows is not listed. */
const MOST_SHOWN = 20;

export interface Reproduction {
  id: RunId;
  status: string;
  /** `info.reproduce` as the command stored it, or null (an older ritual, or the command was stopped). */
  verdict: JsonObject | null;
}

export async function reproductionsOf(target: BoardStore, id: RunId): Promise<Reproduction[]> {
  const candidates = await target.store.summaries(
    { 'meta.reproduces.run': id },
    { sort: { _id: 1 }, limit: MOST_SHOWN },
  );
  const here = candidates.filter((run) => sameStore(target, run.meta.reproduces?.store ?? ''));
  return Promise.all(
    here.map(async (run) => {
      const stored = await target.store.get(run._id).catch(() => null);
      const verdict = stored?.info?.reproduce;
      return {
        id: run._id,
        status: run.status,
        verdict: verdict !== null && typeof verdict === 'object' && !Array.isArray(verdict) ? verdict : null,
      };
    }),
  );
}

/** Whether a run's recorded original store is this one (a run with the same id in another store is another run). */
function sameStore(target: BoardStore, recorded: string): boolean {
  if (target.folder === null) return recorded === target.store.location;
  // `ritual reproduce` records a folder's absolute path; an older relative one is read against this directory
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(recorded) && resolve(recorded) === target.folder;
}
