/**
 * Sacred's run document read back as the StoredRun every store returns. The
 * file store assembles it from run.json, config.json and info.json, MongoDB
 * keeps it as one document; either may have been written by ritual or by
 * Sacred itself, and by an older version that lacked some fields. One reading
 * for both, so a run looks the same whichever store it comes from.
 */
import { BackendError, type HostInfo, type JsonObject, type RunId, type RunMeta, type RunStatus } from '@ritual/core';
import { fromSacredTime } from '@ritual/core/observer-kit';
import type { RunSummary, StoredRun } from './store.js';

/** A run document as stored: Sacred's fields, with nothing checked yet. */
export type SacredRunDocument = Record<string, unknown>;

/**
 * A stored time as a Date: MongoDB holds BSON Dates, run.json Sacred's naive
 * UTC strings. `where` names the run for the error (a file path, or the run
 * and its database), so the message says what to fix.
 */
export function storedTime(value: unknown, where: string, field: string): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  if (typeof value !== 'string')
    throw new BackendError(
      `${where}: ${field} should be a time, found ${JSON.stringify(value)}; fix or remove that run.`,
    );
  try {
    return fromSacredTime(value);
  } catch (error) {
    throw new BackendError(`${where}: ${field} is not a time (${JSON.stringify(value)}); fix or remove that run.`, {
      cause: error,
    });
  }
}

/** A reference to a stored copy: a path in a runs folder, or a GridFS ObjectId, which a StoredRun holds as hex. */
function storedRef(value: unknown): string {
  if (value !== null && typeof value === 'object' && 'toHexString' in value)
    return (value as { toHexString(): string }).toHexString();
  return String(value);
}

function refPairs(value: unknown): Array<[string, string]> {
  return ((value as Array<[string, unknown]> | undefined) ?? []).map(([path, ref]) => [path, storedRef(ref)]);
}

/** Sacred's file store lists artifact names, its MongoDB store `{name, file_id}` entries. */
function artifactName(item: unknown): string {
  return typeof item === 'string' ? item : String((item as { name?: unknown } | null)?.name ?? item);
}

/** A run document (or the part of it a summary needs) as a RunSummary; bad times throw a BackendError naming `where`. */
export function toRunSummary(id: RunId, document: SacredRunDocument, where: string): RunSummary {
  const experiment = (document.experiment ?? {}) as Record<string, unknown>;
  const host = (document.host ?? {}) as Partial<HostInfo>;
  const meta = { ...((document.meta ?? {}) as RunMeta) };
  if (meta.queue_time !== undefined)
    meta.queue_time = storedTime(meta.queue_time, where, 'meta.queue_time') ?? undefined;
  return {
    _id: id,
    experiment: { name: String(experiment.name ?? '') },
    command: String(document.command ?? ''),
    host: host.hostname === undefined ? {} : { hostname: host.hostname },
    meta,
    config: (document.config ?? {}) as JsonObject,
    status: document.status as RunStatus,
    start_time: storedTime(document.start_time, where, 'start_time'),
    heartbeat: storedTime(document.heartbeat, where, 'heartbeat'),
    stop_time: storedTime(document.stop_time, where, 'stop_time'),
    result: document.result ?? null,
  };
}

/**
 * The StoredRun of a run document, with defaults for the fields a queued,
 * older or Sacred-written run lacks: its summary (one reading of times and
 * meta for both), and the rest of the document.
 */
export function toStoredRun(id: RunId, document: SacredRunDocument, where: string): StoredRun {
  const summary = toRunSummary(id, document, where);
  const experiment = (document.experiment ?? {}) as Record<string, unknown>;
  const run: StoredRun = {
    ...summary,
    experiment: {
      name: summary.experiment.name,
      base_dir: String(experiment.base_dir ?? ''),
      mainfile: (experiment.mainfile as string | null | undefined) ?? null,
      sources: refPairs(experiment.sources),
      dependencies: (experiment.dependencies as string[] | undefined) ?? [],
      repositories: (experiment.repositories as StoredRun['experiment']['repositories'] | undefined) ?? [],
    },
    host: (document.host ?? {}) as HostInfo,
    info: (document.info ?? {}) as JsonObject,
    artifacts: ((document.artifacts as unknown[] | undefined) ?? []).map(artifactName),
    fail_trace: (document.fail_trace as string[] | undefined) ?? null,
    resources: refPairs(document.resources),
  };
  if (typeof document.captured_out === 'string') run.captured_out = document.captured_out;
  return run;
}
