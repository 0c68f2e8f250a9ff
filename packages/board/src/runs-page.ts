import type { JsonObject } from '@ritual/core';
import {
  compileWhere,
  isProbablyDead,
  valueAtPath,
  WhereSyntaxError,
  type RunStore,
  type StoredRun,
} from '@ritual/observers';
import { HttpError } from './http-error.js';
import type { RunRow, RunsPage } from './api-shapes.js';

export type { RunRow, RunsPage } from './api-shapes.js';

/** Names people sort by, mapped to the stored field (as `ritual ls --sort` does). */
const SORT_ALIASES: Record<string, string> = { id: '_id', name: 'experiment.name', start: 'start_time' };
const SORT_FIELD = /^[A-Za-z_][\w.]*$/;
export const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

/** What the runs table asks for: all strings, as they come from the URL. */
export interface RunsPageQuery {
  where?: string;
  /** A field, `-` first for descending: `-result`, `config.lr`. */
  sort?: string;
  /** 1-based. */
  page?: number;
  size?: number;
  /** Extra columns: dotted paths into the run document (`config.lr`). */
  columns?: string[];
  /** Extra columns with the last value of these metrics. */
  metrics?: string[];
}

/** How many runs match: the store counts (MongoDB in the query, a runs folder from its run index). */
export async function countRuns(store: RunStore, filter: JsonObject): Promise<number> {
  return store.count(filter);
}

/**
 * One page of the runs that match, and how many match. Both stores answer a
 * page on summary fields without reading every run whole (a runs folder from
 * its run index), so a page over 10,000 runs reads 50.
 */
export async function findPage(
  store: RunStore,
  filter: JsonObject,
  sort: Record<string, 1 | -1>,
  skip: number,
  limit: number,
): Promise<{ total: number; runs: StoredRun[] }> {
  const [total, runs] = await Promise.all([store.count(filter), store.find(filter, { sort, skip, limit })]);
  return { total, runs };
}

/** Parse a `where` expression, turning a syntax error into a 400 that points at the character. */
export function filterOf(where: string | undefined): JsonObject {
  if (where === undefined || where.trim() === '') return {};
  try {
    return compileWhere(where);
  } catch (error) {
    if (error instanceof WhereSyntaxError) {
      // the first line of the message says what is wrong; the caret lines are for terminals
      throw new HttpError(400, error.message.split('\n')[0] ?? error.message, error.position);
    }
    throw error;
  }
}

export function sortOf(sort: string | undefined): Record<string, 1 | -1> {
  const text = (sort ?? 'id').trim() || 'id';
  const descending = text.startsWith('-');
  const field = descending ? text.slice(1) : text;
  if (!SORT_FIELD.test(field)) {
    throw new HttpError(400, `Cannot sort by ${JSON.stringify(text)}: give a field such as id, -result or config.lr.`);
  }
  const stored = SORT_ALIASES[field] ?? field;
  const order: Record<string, 1 | -1> = { [stored]: descending ? -1 : 1 };
  if (stored !== '_id') order._id = 1; // ties in a stable order, so pages never repeat a run
  return order;
}

export async function runsPage(store: RunStore, query: RunsPageQuery, now: Date): Promise<RunsPage> {
  const filter = filterOf(query.where);
  const size = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(query.size ?? DEFAULT_PAGE_SIZE)));
  const page = Math.max(1, Math.floor(query.page ?? 1));
  const { total, runs } = await findPage(store, filter, sortOf(query.sort), (page - 1) * size, size);
  const warnings = (store as RunStore & { warnings?: unknown }).warnings;
  const malformed = Array.isArray(warnings) ? [...new Set(warnings.map(String))] : [];
  const rows = await Promise.all(runs.map((run) => runRow(store, run, query, now)));
  return { total, page, size, rows, malformed };
}

async function runRow(store: RunStore, run: StoredRun, query: RunsPageQuery, now: Date): Promise<RunRow> {
  const dead = isProbablyDead(run, now);
  const end = run.stop_time ?? (run.status === 'RUNNING' && !dead ? now : run.heartbeat);
  const sweep = valueAtPath(run, 'meta.sweep') as { id?: unknown; index?: unknown } | undefined;
  const metrics: Record<string, number | null> = {};
  for (const name of query.metrics ?? []) metrics[name] = await store.lastMetricValue(run._id, name);
  return {
    id: run._id,
    name: typeof run.experiment?.name === 'string' ? run.experiment.name : String(run.experiment?.name ?? ''),
    status: String(run.status),
    probablyDead: dead,
    start_time: run.start_time?.toISOString() ?? null,
    heartbeat: run.heartbeat?.toISOString() ?? null,
    duration_ms: run.start_time && end ? Math.max(0, end.getTime() - run.start_time.getTime()) : null,
    result: run.result ?? null,
    sweep:
      sweep && typeof sweep.id === 'string' && typeof sweep.index === 'number'
        ? { id: sweep.id, index: sweep.index }
        : null,
    columns: Object.fromEntries((query.columns ?? []).map((path) => [path, valueAtPath(run, path) ?? null])),
    metrics,
  };
}
