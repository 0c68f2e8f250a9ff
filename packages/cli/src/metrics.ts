import { Command } from 'commander';
import { UsageError, type MetricSeries, type RunId } from '@ritual/core';
import type { RunStore } from '@ritual/observers';
import type { CliContext } from './context.js';
import { formatNumber, formatTime } from './format.js';
import { DEFAULT_STORE, parseRunId, splitStore, withStore } from './store-argument.js';
import { renderTable } from './table.js';

export function metricsCommand(ctx: CliContext): Command {
  return new Command('metrics')
    .description('Print one metric of a run: every (step, value, timestamp), as a table, CSV or JSON.')
    .argument('[store]', 'runs folder or mongodb:// URL (default: runs)')
    .argument('[id]', 'run id')
    .argument('[name]', 'metric name, e.g. loss')
    .usage('[STORE] ID NAME [options]')
    .option('--csv', 'print CSV (step,value,timestamp with ISO UTC times) for spreadsheets and pandas')
    .option('--json', 'print {name, steps, values, timestamps} as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  ritual metrics 3 loss\n  ritual metrics path/to/runs 3 val.acc --csv > acc.csv\n\nTo see which metrics a run has: ritual show ID',
    )
    .action(
      async (
        a: string | undefined,
        b: string | undefined,
        c: string | undefined,
        options: { csv?: boolean; json?: boolean },
      ) => {
        const positionals = [a, b, c].filter((p): p is string => p !== undefined);
        if (positionals.length === 1) {
          // `ritual metrics 3`: no name yet, so say which ones the run has.
          await withStore(DEFAULT_STORE, (store) => listMetricNames(store, positionals[0] as string));
          return;
        }
        const { location, rest } = splitStore(positionals, {
          fixed: 2,
          usage: '[STORE] ID NAME, e.g. `ritual metrics 3 loss`',
        });
        await withStore(location, (store) => printMetric(ctx, store, rest[0] as string, rest[1] as string, options));
      },
    );
}

/** One metric of one run; a UsageError that lists the run's metrics when the name is unknown. */
export async function loadMetric(store: RunStore, id: RunId, name: string): Promise<MetricSeries> {
  const [series] = await store.metrics(id, name);
  if (series && series.name === name) return series;
  // get() first: an unknown run must say so, not "no metric".
  await store.get(id);
  const names = (await store.metrics(id)).map((s) => s.name).sort();
  const available = names.length > 0 ? `it has: ${names.join(', ')}` : 'it has no metrics';
  throw new UsageError(`Run ${String(id)} has no metric ${JSON.stringify(name)}; ${available}.`);
}

async function listMetricNames(store: RunStore, idText: string): Promise<void> {
  const id = parseRunId(idText);
  await store.get(id);
  const series = await store.metrics(id);
  if (series.length === 0) throw new UsageError(`Run ${String(id)} has no metrics.`);
  const names = series.map((s) => `${s.name} (${s.values.length} point${s.values.length === 1 ? '' : 's'})`);
  throw new UsageError(
    `Name a metric of run ${String(id)}: ${names.join(', ')}; e.g. ritual metrics ${String(id)} ${series[0]?.name ?? ''}`,
  );
}

export async function printMetric(
  ctx: CliContext,
  store: RunStore,
  idText: string,
  name: string,
  options: { csv?: boolean; json?: boolean },
): Promise<void> {
  const series = await loadMetric(store, parseRunId(idText), name);
  if (options.json) {
    ctx.write(`${JSON.stringify(series, null, 2)}\n`);
    return;
  }
  if (options.csv) {
    const lines = ['step,value,timestamp'];
    series.steps.forEach((step, i) => {
      const t = series.timestamps[i];
      lines.push(`${step},${csvNumber(series.values[i])},${t === undefined ? '' : new Date(t).toISOString()}`);
    });
    ctx.write(`${lines.join('\n')}\n`);
    return;
  }
  const rows = series.steps.map((step, i) => {
    const value = series.values[i];
    const t = series.timestamps[i];
    return [
      String(step),
      value === undefined ? '-' : formatNumber(value),
      t === undefined ? '-' : formatTime(new Date(t)),
    ];
  });
  ctx.out(renderTable(ctx, ['step', name, 'time (UTC)'], rows, ['right', 'right', 'left']));
}

/** Full precision in data output; NaN/Infinity spelled as pandas reads them. */
function csvNumber(value: number | undefined): string {
  if (value === undefined) return '';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return String(value);
}
