import { Command } from 'commander';
import { UsageError } from '@ritual/core';
import type { RunStore } from '@ritual/observers';
import type { CliContext } from './context.js';
import { flattenPaths, sameValue } from './config-paths.js';
import { formatRunDuration, formatNumber, formatValue } from './format.js';
import { displayStatus, durationMs, summarizeMetric, type MetricSummary } from './run-summary.js';
import { paintStatus } from './status-style.js';
import { parseRunId, splitStore, withStore } from './store-argument.js';
import { renderTable } from './table.js';
import { compareMetricSeries } from './run-comparison.js';
import { metricDifference } from './divergence-text.js';
import { parseTolerance } from './tolerance.js';

const MISSING = '(missing)';

export function compareCommand(ctx: CliContext): Command {
  return new Command('compare')
    .description(
      'Compare runs side by side: the config keys that differ (dotted paths) and the summary of every metric.',
    )
    .argument('<ids...>', 'an optional STORE, then two or more run ids')
    .usage('[STORE] ID ID... [options]')
    .option('--all', 'show every config key, not only the ones that differ')
    .option('--json', 'print the differences and metric summaries as JSON')
    .option('--rtol <x>', 'relative tolerance when comparing metric series point by point (default 0: bitwise)')
    .option('--atol <x>', 'absolute tolerance when comparing metric series point by point (default 0: bitwise)')
    .addHelpText(
      'after',
      '\nExamples:\n  ritual compare 3 4\n  ritual compare path/to/runs 3 4 7 --all\n  ritual compare mongodb://localhost:27017/sacred 12 13',
    )
    .action(async (positionals: string[], options: CompareOptions) => {
      const { location, rest } = splitStore(positionals, {
        atLeast: 2,
        usage: '[STORE] ID ID..., e.g. `ritual compare 3 4`',
      });
      await withStore(location, (store) => compareStoredRuns(ctx, store, rest, options));
    });
}

export interface ConfigDifference {
  key: string;
  /** One value per run, in the order asked; undefined where the run lacks the key. */
  values: unknown[];
}

/** Config entries (dotted paths) whose values are not the same in every run. */
export function configDifferences(configs: unknown[], includeEqual = false): ConfigDifference[] {
  const flats = configs.map((c) => flattenPaths(c ?? {}));
  const keys = [...new Set(flats.flatMap((f) => [...f.keys()]))].sort();
  const differences: ConfigDifference[] = [];
  for (const key of keys) {
    const values = flats.map((f) => (f.has(key) ? f.get(key) : undefined));
    const present = flats.map((f) => f.has(key));
    const differs = present.some((p) => !p) || values.some((v) => !sameValue(v, values[0]));
    if (differs || includeEqual) differences.push({ key, values });
  }
  return differences;
}

interface CompareOptions {
  all?: boolean;
  json?: boolean;
  rtol?: string;
  atol?: string;
}

export async function compareStoredRuns(
  ctx: CliContext,
  store: RunStore,
  idTexts: string[],
  options: CompareOptions,
): Promise<void> {
  const ids = idTexts.map(parseRunId);
  if (new Set(ids.map(String)).size !== ids.length)
    throw new UsageError(`Each run can be compared once; got ${idTexts.join(' ')}.`);
  const tolerance = { rtol: parseTolerance('--rtol', options.rtol), atol: parseTolerance('--atol', options.atol) };
  const runs = await Promise.all(ids.map((id) => store.get(id)));
  const series = await Promise.all(ids.map((id) => store.metrics(id)));
  const summaries = series.map((list) => new Map(list.map((s) => [s.name, summarizeMetric(s)])));
  // Point by point, every later run against the first: where each series first parts from it.
  const first = runs[0]!._id;
  const versus = await Promise.all(
    runs.slice(1).map((run) => compareMetricSeries(store, first, store, run._id, tolerance)),
  );
  const differences = configDifferences(
    runs.map((r) => r.config),
    options.all,
  );
  const metricNames = [...new Set(summaries.flatMap((m) => [...m.keys()]))].sort();

  if (options.json) {
    const out = {
      runs: runs.map((r) => ({
        id: r._id,
        name: r.experiment?.name ?? null,
        status: r.status,
        result: r.result ?? null,
      })),
      config: differences.map((d) => ({
        key: d.key,
        values: d.values.map((v) => (v === undefined ? null : v)),
        missing: d.values.map((v) => v === undefined),
      })),
      metrics: metricNames.map((name) => ({ name, runs: summaries.map((m) => m.get(name) ?? null) })),
      series: versus.map((metrics, i) => ({
        a: first,
        b: runs[i + 1]!._id,
        tolerance,
        same: metrics.every((m) => m.status === 'same'),
        metrics,
      })),
    };
    ctx.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }

  const head = ['', ...runs.map((r) => `run ${String(r._id)}`)];
  const now = ctx.now();
  ctx.out(ctx.colors.bold('Runs'));
  ctx.out(
    renderTable(ctx, head, [
      ['name', ...runs.map((r) => formatValue(r.experiment?.name, 30))],
      ['status', ...runs.map((r) => paintStatus(ctx, displayStatus(r, now)))],
      ['duration', ...runs.map((r) => formatRunDuration(durationMs(r, now)))],
      ['result', ...runs.map((r) => (r.result === null || r.result === undefined ? '-' : formatValue(r.result, 30)))],
    ]),
  );

  ctx.out(ctx.colors.bold(`\nConfig${options.all ? '' : ' differences'}`));
  if (differences.length === 0) {
    ctx.out('  The configs are identical.');
  } else {
    ctx.out(
      renderTable(
        ctx,
        ['key', ...head.slice(1)],
        differences.map((d) => [d.key, ...d.values.map((v) => cell(ctx, v, d.values))]),
      ),
    );
  }

  ctx.out(ctx.colors.bold('\nMetrics'));
  if (metricNames.length === 0) {
    ctx.out('  No metrics in these runs.');
    return;
  }
  const rows: string[][] = [];
  for (const name of metricNames) {
    for (const stat of ['last', 'min', 'max', 'count'] as const) {
      rows.push([stat === 'last' ? name : '', stat, ...summaries.map((m) => statCell(m.get(name), stat))]);
    }
  }
  ctx.out(
    renderTable(ctx, ['metric', '', ...head.slice(1)], rows, ['left', 'left', ...runs.map(() => 'right' as const)]),
  );

  const within =
    tolerance.rtol === 0 && tolerance.atol === 0
      ? 'bit for bit'
      : `within rtol=${tolerance.rtol}, atol=${tolerance.atol}`;
  ctx.out(ctx.colors.bold(`\nSeries, point by point against run ${String(first)} (${within})`));
  for (const [i, metrics] of versus.entries()) {
    const other = runs[i + 1]!._id;
    const lines = metrics.map((m) => metricDifference(m, first, other)).filter((line): line is string => line !== null);
    if (lines.length === 0) ctx.out(`  run ${String(other)}: every series the same (${metrics.length} metrics)`);
    for (const line of lines) ctx.out(`  run ${String(other)}: ${ctx.colors.yellow(line)}`);
  }
}

function cell(ctx: CliContext, value: unknown, all: unknown[]): string {
  if (value === undefined) return ctx.colors.dim(MISSING);
  const text = formatValue(value, 30);
  // Highlight values that differ from the first run's, so the eye finds the change.
  return sameValue(value, all[0]) ? text : ctx.colors.yellow(text);
}

function statCell(summary: MetricSummary | undefined, stat: 'last' | 'min' | 'max' | 'count'): string {
  if (!summary) return '-';
  const value = summary[stat];
  return value === null ? '-' : formatNumber(value);
}
