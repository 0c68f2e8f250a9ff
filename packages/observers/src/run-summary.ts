/**
 * The RunSummary of a run document, and which filters and sorts can be
 * answered from summaries alone. Both stores share it, so a page of runs is
 * the same whether it comes from a file store's index or a MongoDB projection.
 */
import { UsageError, type JsonObject } from '@ritual/core';

export { toRunSummary } from './sacred-run-document.js';
import type { FindOptions } from './store.js';

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
