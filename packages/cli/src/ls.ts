import { Command, Option } from 'commander';
import { UsageError, type JsonObject, type MetricSeries, type RunStatus } from '@ritual/core';
import type { FindOptions, RunStore, RunSummary } from '@ritual/observers';
import { compileWhere, coversSummary, isSummaryPath, valueAtPath } from '@ritual/observers';
import type { CliContext } from './context.js';
import { formatRunDuration, formatTime, formatValue } from './format.js';
import { paintStatus } from './status-style.js';
import { DEAD_AFTER_MS, displayStatus, durationMs, isProbablyDead } from './run-summary.js';
import { DEFAULT_STORE, withStore } from './store-argument.js';
import { renderTable } from './table.js';
import { collectSkippedRuns } from './skipped-runs.js';
import { errorMessage } from '@ritual/core/observer-kit';

const STATUSES: RunStatus[] = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'INTERRUPTED', 'TIMEOUT'];
/** `--status dead` (or `RUNNING?`) selects RUNNING runs that stopped beating. */
const DEAD_STATUS = ['dead', 'RUNNING?'];

/** Names people sort by, mapped to the stored field. */
const SORT_ALIASES: Record<string, string> = {
  id: '_id',
  name: 'experiment.name',
  start: 'start_time',
  stop: 'stop_time',
};

export interface LsOptions {
  where?: string;
  status?: string;
  sort?: string;
  limit?: string;
  columns?: string;
  metrics?: string;
  /** Only the runs of this `--multirun` sweep (its `meta.sweep.id`), with their place in it as a column. */
  sweep?: string;
  json?: boolean;
}

export function lsCommand(ctx: CliContext): Command {
  return new Command('ls')
    .description('List runs in a table: id, name, status, start, duration, result, chosen config columns and metrics.')
    .argument('[store]', 'runs folder or mongodb:// URL', DEFAULT_STORE)
    .option('-w, --where <expr>', "filter: 'config.lr < 0.01 and status = COMPLETED', or a MongoDB filter as JSON")
    .option(
      '-s, --status <list>',
      'only runs with these statuses (comma-separated); "dead" = RUNNING without a heartbeat for 2 min',
    )
    .option(
      '--sort <field>',
      'sort by a field (id, name, start, result, config.lr ...); prefix with - for descending',
      'id',
    )
    .option('-n, --limit <n>', 'show at most N runs')
    .option('-c, --columns <paths>', 'extra columns, dotted paths: config.lr,config.batchSize,meta.comment')
    .option('-m, --metrics <names>', 'extra columns with the last value of these metrics: loss,val.acc')
    .option('--sweep <id>', "only the runs of this --multirun sweep (the id its summary names), with each one's #")
    .addOption(new Option('--json', 'print the rows as JSON for scripts'))
    .addHelpText(
      'after',
      `
Examples:
  ritual ls                                  runs in ./runs
  ritual ls runs --where 'config.lr < 0.01 and status = COMPLETED' --sort -result
  ritual ls --status FAILED,dead             what went wrong
  ritual ls -c config.lr,config.batchSize -m loss,acc --limit 20
  ritual ls --sweep 3f9c2a1e -m val.loss        the runs of one sweep
  ritual ls mongodb://localhost:27017/sacred --where '{"config.lr": {"$lt": 0.01}}' --json

--where syntax: field op value, joined by and / or / not and parentheses.
  ops: = != < <= > >=   field in [a, b]   field not in [..]   field exists   field not exists
  values: numbers, true, false, null, "quoted strings" or bare words; id and name are
  short for _id and experiment.name; start_time >= 2026-11-27 compares times (UTC).`,
    )
    .action(async (location: string, options: LsOptions) => {
      await withStore(location, (store) => listRuns(ctx, store, options));
    });
}

export async function listRuns(ctx: CliContext, store: RunStore, options: LsOptions): Promise<void> {
  const filter = buildFilter(options, ctx.now());
  const findOptions: FindOptions = { sort: parseSort(options.sort ?? 'id') };
  const limit = parseLimit(options.limit);
  if (limit !== undefined) findOptions.limit = limit;
  // A sweep's runs are listed with their place in it (meta.sweep.index) first.
  const columns = [...(options.sweep !== undefined ? ['meta.sweep.index'] : []), ...splitList(options.columns)];
  const metricNames = splitList(options.metrics);

  // Summaries answer the usual listing without reading each run whole (a file store's index, a MongoDB
  // projection); a column or filter on another field (host.cpu, info.x) needs the runs themselves.
  const bySummary = coversSummary(filter, findOptions) && columns.every(isSummaryPath);
  const { runs, skipped } = await collectSkippedRuns<RunSummary>(store, () =>
    bySummary ? store.summaries(filter, findOptions) : store.find(filter, findOptions),
  );
  for (const problem of skipped) ctx.err(ctx.colors.yellow(`ritual: ${problem}`));

  const now = ctx.now();
  const rows = await mapInBatches(runs, METRIC_READS_AT_ONCE, (run) =>
    describeRun(store, run, columns, metricNames, now, (problem) =>
      ctx.err(ctx.colors.yellow(`ritual: run ${String(run._id)}: ${problem}`)),
    ),
  );
  if (options.json) {
    ctx.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    ctx.out(`No runs${Object.keys(filter).length > 0 ? ' match' : ''} in ${store.location}.`);
    return;
  }
  const head = ['id', 'name', 'status', 'start (UTC)', 'duration', 'result', ...columns, ...metricNames];
  const body = rows.map((row) => [
    String(row.id),
    formatValue(row.name, 30),
    paintStatus(ctx, row.status),
    formatTime(row.start_time ? new Date(row.start_time) : null),
    formatRunDuration(row.duration_ms),
    row.result === null ? '-' : formatValue(row.result, 24),
    // null in a row means "not there" (JSON has no undefined): shown as -
    ...columns.map((c) => (row[c] === null ? '-' : formatValue(row[c], 24))),
    ...metricNames.map((m) => (row[`metrics.${m}`] === null ? '-' : formatValue(row[`metrics.${m}`], 16))),
  ]);
  const right: Array<'left' | 'right'> = head.map((_, i) => (i === 0 || i === 4 || i >= 5 ? 'right' : 'left'));
  ctx.out(renderTable(ctx, head, body, right));
  if (rows.some((row) => row.status === 'RUNNING?')) {
    ctx.out(
      ctx.colors.dim(`RUNNING? = no heartbeat for over ${DEAD_AFTER_MS / 60000} minutes: the process probably died.`),
    );
  }
}

/** Metric files read at once: enough to overlap I/O, few enough to never run out of file handles on thousands of runs. */
const METRIC_READS_AT_ONCE = 16;

async function mapInBatches<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return results;
}

type Row = Record<string, unknown> & {
  id: unknown;
  status: string;
  start_time: string | null;
  duration_ms: number | null;
};

async function describeRun(
  store: RunStore,
  run: RunSummary,
  columns: string[],
  metricNames: string[],
  now: Date,
  warn: (problem: string) => void,
): Promise<Row> {
  const row: Row = {
    id: run._id,
    name: run.experiment?.name ?? null,
    status: displayStatus(run, now),
    probably_dead: isProbablyDead(run, now),
    start_time: run.start_time?.toISOString() ?? null,
    stop_time: run.stop_time?.toISOString() ?? null,
    heartbeat: run.heartbeat?.toISOString() ?? null,
    duration_ms: durationMs(run, now),
    result: run.result ?? null,
  };
  for (const column of columns) row[column] = valueAtPath(run, column) ?? null;
  if (metricNames.length > 0) {
    let series: MetricSeries[] = [];
    try {
      series = await store.metrics(run._id);
    } catch (error) {
      // A run whose metrics file is damaged still has its row; its metric cells stay empty.
      warn(`cannot read its metrics (${errorMessage(error)})`);
    }
    for (const name of metricNames) {
      const found = series.find((s) => s.name === name);
      row[`metrics.${name}`] = found && found.values.length > 0 ? found.values[found.values.length - 1] : null;
    }
  }
  return row;
}

function buildFilter(options: LsOptions, now: Date): JsonObject {
  const parts: JsonObject[] = [];
  if (options.where !== undefined) parts.push(compileWhere(options.where));
  if (options.status !== undefined) parts.push(statusFilter(options.status, now));
  if (options.sweep !== undefined) {
    if (options.sweep.trim() === '')
      throw new UsageError('--sweep needs the id a sweep printed, e.g. --sweep 3f9c2a1e.');
    parts.push({ 'meta.sweep.id': options.sweep.trim() });
  }
  if (parts.length === 0) return {};
  return parts.length === 1 ? (parts[0] as JsonObject) : { $and: parts };
}

function statusFilter(list: string, now: Date): JsonObject {
  const wanted = splitList(list);
  if (wanted.length === 0) throw new UsageError(`--status needs one or more of ${STATUSES.join(', ')} or dead.`);
  const alternatives: JsonObject[] = [];
  const plain: string[] = [];
  for (const word of wanted) {
    if (DEAD_STATUS.includes(word) || DEAD_STATUS.includes(word.toLowerCase())) {
      // Dates are what stores hold in `heartbeat`; the JSON type cannot say so.
      alternatives.push({
        status: 'RUNNING',
        heartbeat: { $lt: new Date(now.getTime() - DEAD_AFTER_MS) as unknown as string },
      });
      continue;
    }
    const status = word.toUpperCase();
    if (!STATUSES.includes(status as RunStatus)) {
      throw new UsageError(
        `Unknown status ${JSON.stringify(word)} in --status; use ${STATUSES.join(', ')} or dead (comma-separated).`,
      );
    }
    plain.push(status);
  }
  if (plain.length > 0) alternatives.unshift({ status: plain.length === 1 ? (plain[0] as string) : { $in: plain } });
  return alternatives.length === 1 ? (alternatives[0] as JsonObject) : { $or: alternatives };
}

function parseSort(text: string): Record<string, 1 | -1> {
  const trimmed = text.trim();
  const descending = trimmed.startsWith('-');
  const field = trimmed.replace(/^[-+]/, '');
  if (!/^[A-Za-z_][\w.-]*$/.test(field)) {
    throw new UsageError(
      `Cannot sort by ${JSON.stringify(text)}: give a field such as id, start, result or config.lr, with a leading - for descending.`,
    );
  }
  const path = SORT_ALIASES[field] ?? field;
  // Ties (e.g. equal results) fall back to id order so the listing is stable.
  return path === '_id' ? { _id: descending ? -1 : 1 } : { [path]: descending ? -1 : 1, _id: 1 };
}

function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1)
    throw new UsageError(`--limit needs a positive whole number, got ${JSON.stringify(text)}.`);
  return Number(text);
}

function splitList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}
