/**
 * The RunSummary of a run document, and which filters and sorts can be
 * answered from summaries alone. Both stores share it, so a page of runs is
 * the same whether it comes from a file store's index or a MongoDB projection.
 */
import { UsageError, type HostInfo, type JsonObject, type RunId, type RunMeta, type RunStatus } from '@ritual/core';
import { storedTime, type SacredRunDocument } from './sacred-run-document.js';
import type { FindOptions, RunSummary } from './store.js';

/** Top-level fields a summary holds whole: any path inside them is covered. */
const WHOLE_FIELDS = new Set([
  '_id',
  'command',
  'meta',
  'config',
  'status',
  'start_time',
  'heartbeat',
  'stop_time',
  'result',
]);
/** Fields a summary holds only one part of. */
const PART_FIELDS = new Set(['experiment.name', 'host.hostname']);

/** The MongoDB projection of a summary: the same fields, read server-side. */
export const SUMMARY_PROJECTION: Record<string, 1> = Object.fromEntries(
  [...WHOLE_FIELDS, ...PART_FIELDS].map((field) => [field, 1]),
);

/** Whether a dotted field path (`config.lr`, `experiment.name`) is held by a RunSummary. */
export function isSummaryPath(path: string): boolean {
  const top = path.split('.')[0] as string;
  return WHOLE_FIELDS.has(top) || PART_FIELDS.has(path);
}

/** The field paths a MongoDB filter reads, or null when it uses a top-level operator that is not $and/$or/$nor. */
function filterPaths(filter: JsonObject): string[] | null {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(value)) return null;
      for (const part of value) {
        if (part === null || typeof part !== 'object' || Array.isArray(part)) return null;
        const inner = filterPaths(part as JsonObject);
        if (inner === null) return null;
        paths.push(...inner);
      }
    } else if (key.startsWith('$')) {
      // $expr, $where, $text...: they may read any field.
      return null;
    } else {
      paths.push(key);
    }
  }
  return paths;
}

/** Whether `filter` and `options.sort` read only fields a RunSummary holds, so summaries can answer them. */
export function coversSummary(filter: JsonObject = {}, options: FindOptions = {}): boolean {
  const paths = filterPaths(filter);
  if (paths === null) return false;
  return [...paths, ...Object.keys(options.sort ?? {})].every(isSummaryPath);
}

/** The UsageError of `summaries` asked for a filter or sort that needs whole runs. */
export function checkSummaryQuery(filter: JsonObject = {}, options: FindOptions = {}): void {
  if (coversSummary(filter, options)) return;
  throw new UsageError(
    `Run summaries hold only _id, command, meta, config, status, times, result, experiment.name and host.hostname; ` +
      `the filter ${JSON.stringify(filter)} or sort ${JSON.stringify(options.sort ?? {})} reads another field. ` +
      'Use find() for that query.',
  );
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
