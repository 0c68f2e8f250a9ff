import { Command } from 'commander';
import type { MetricSeries } from '@ritual/core';
import type { ArtifactEntry, RunStore, StoredRun } from '@ritual/observers';
import type { CliContext } from './context.js';
import { flattenPaths } from './config-paths.js';
import { formatRunDuration, formatNumber, formatTime, formatValue } from './format.js';
import { displayStatus, durationMs, isProbablyDead, summarizeMetric, type MetricSummary } from './run-summary.js';
import { paintStatus } from './status-style.js';
import { parseRunId, splitStore, withStore } from './store-argument.js';
import { renderTable } from './table.js';
import { systemUsageEntries } from './system-usage.js';

export function showCommand(ctx: CliContext): Command {
  return new Command('show')
    .description(
      'Everything about one run: status and times, result, config, host, git, sources, metrics, artifacts, failure trace.',
    )
    .argument('[store]', 'runs folder or mongodb:// URL (default: runs)')
    .argument('[id]', 'run id, as listed by `ritual ls`')
    .usage('[STORE] ID [options]')
    .option('--json', 'print the run document, metric summaries and artifacts as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  ritual show 3\n  ritual show path/to/runs 3\n  ritual show mongodb://localhost:27017/sacred 12 --json',
    )
    .action(async (first: string | undefined, second: string | undefined, options: { json?: boolean }) => {
      const positionals = [first, second].filter((p): p is string => p !== undefined);
      const { location, rest } = splitStore(positionals, { fixed: 1, usage: '[STORE] ID, e.g. `ritual show 3`' });
      await withStore(location, (store) => showRun(ctx, store, rest[0] as string, options));
    });
}

export async function showRun(
  ctx: CliContext,
  store: RunStore,
  idText: string,
  options: { json?: boolean },
): Promise<void> {
  const id = parseRunId(idText);
  const run = await store.get(id);
  const [series, artifacts] = await Promise.all([store.metrics(id), store.artifacts(id)]);
  const summaries = series.map(summarizeMetric);
  if (options.json) {
    ctx.write(`${JSON.stringify({ run, metrics: summaries, artifacts }, null, 2)}\n`);
    return;
  }
  for (const block of [
    overview(ctx, run),
    config(ctx, run),
    host(ctx, run),
    git(ctx, run),
    sources(ctx, run),
    metrics(ctx, summaries, series),
    artifactList(ctx, artifacts),
    failTrace(ctx, run),
  ]) {
    if (block.length > 0) ctx.out(block.join('\n'));
  }
}

function heading(ctx: CliContext, title: string): string {
  return `\n${ctx.colors.bold(ctx.colors.underline(title))}`;
}

/** `key   value` lines with the keys padded to one width. */
function pairs(entries: Array<[string, string]>): string[] {
  const width = Math.max(0, ...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`);
}

function overview(ctx: CliContext, run: StoredRun): string[] {
  const now = ctx.now();
  const status = displayStatus(run, now);
  const title = `${ctx.colors.bold(`Run ${String(run._id)}`)}  ${run.experiment?.name ?? ''}  ${paintStatus(ctx, status)}`;
  const entries: Array<[string, string]> = [
    ['command', run.command ?? '-'],
    ['started', run.start_time ? `${formatTime(run.start_time)} UTC` : '-'],
    ['stopped', run.stop_time ? `${formatTime(run.stop_time)} UTC` : '-'],
    ['duration', formatRunDuration(durationMs(run, now))],
    ['heartbeat', run.heartbeat ? `${formatTime(run.heartbeat)} UTC` : '-'],
    ['result', formatValue(run.result, 200)],
  ];
  if (run.meta?.queue_time) entries.push(['queued', `${formatValue(run.meta.queue_time)} UTC`]);
  if (run.meta?.comment) entries.push(['comment', run.meta.comment]);
  const sweep = run.meta?.sweep;
  if (sweep) entries.push(['sweep', `${sweep.id}, #${sweep.index} of ${sweep.size} (sweep seed ${sweep.seed})`]);
  if (run.meta?.named_configs?.length) entries.push(['named configs', run.meta.named_configs.join(', ')]);
  if (run.meta?.config_updates && Object.keys(run.meta.config_updates).length > 0) {
    entries.push([
      'updates',
      [...flattenPaths(run.meta.config_updates)].map(([k, v]) => `${k}=${formatValue(v)}`).join(' '),
    ]);
  }
  const lines = [title, ...pairs(entries)];
  if (isProbablyDead(run, now)) {
    lines.push(
      ctx.colors.yellow('  RUNNING? no heartbeat for over 2 minutes: the process probably died without reporting it.'),
    );
  }
  return lines;
}

function config(ctx: CliContext, run: StoredRun): string[] {
  const flat = [...flattenPaths(run.config ?? {})];
  if (flat.length === 0) return [heading(ctx, 'Config'), '  (empty)'];
  return [heading(ctx, 'Config'), ...pairs(flat.map(([key, value]) => [key, formatValue(value, 80)]))];
}

function host(ctx: CliContext, run: StoredRun): string[] {
  const h = run.host;
  if (!h) return [];
  const entries: Array<[string, string]> = [
    ['hostname', h.hostname ?? '-'],
    ['os', Array.isArray(h.os) ? h.os.join(' / ') : formatValue(h.os)],
  ];
  if (h.node_version) entries.push(['node', String(h.node_version)]);
  if (typeof h.python_version === 'string') entries.push(['python', h.python_version]);
  entries.push(['cpu', `${h.cpu ?? '-'}${h.cpu_count ? ` (${h.cpu_count} cores)` : ''}`]);
  if (typeof h.memory_total === 'number') entries.push(['memory', `${(h.memory_total / 2 ** 30).toFixed(1)} GiB`]);
  for (const gpu of h.gpus?.gpus ?? [])
    entries.push(['gpu', `${gpu.model}${gpu.total_memory ? ` (${gpu.total_memory} MB)` : ''}`]);
  const env = Object.entries(h.ENV ?? {});
  if (env.length > 0) entries.push(['env', env.map(([k, v]) => `${k}=${v}`).join(' ')]);
  entries.push(...systemUsageEntries(run.info?.system));
  return [heading(ctx, 'Host'), ...pairs(entries)];
}

function git(ctx: CliContext, run: StoredRun): string[] {
  const repos = run.experiment?.repositories ?? [];
  if (repos.length === 0) return [];
  return [
    heading(ctx, 'Git'),
    ...repos.map((r) => `  ${r.url}  ${r.commit}${r.dirty ? ctx.colors.yellow('  (dirty: uncommitted changes)') : ''}`),
  ];
}

function sources(ctx: CliContext, run: StoredRun): string[] {
  const list = run.experiment?.sources ?? [];
  const deps = run.experiment?.dependencies ?? [];
  const lines: string[] = [];
  if (list.length > 0) {
    lines.push(heading(ctx, 'Sources'));
    if (run.experiment.base_dir)
      lines.push(
        `  base dir  ${run.experiment.base_dir}${run.experiment.mainfile ? `  (main: ${run.experiment.mainfile})` : ''}`,
      );
    lines.push(...pairs(list.map(([rel, stored]) => [rel, ctx.colors.dim(stored)])));
  }
  if (deps.length > 0) lines.push(heading(ctx, 'Dependencies'), `  ${deps.join('  ')}`);
  return lines;
}

function metrics(ctx: CliContext, summaries: MetricSummary[], series: MetricSeries[]): string[] {
  if (summaries.length === 0) return [heading(ctx, 'Metrics'), '  (none)'];
  const n = (v: number | null): string => (v === null ? '-' : formatNumber(v));
  const rows = summaries.map((s, i) => [
    s.name,
    String(s.count),
    n(s.lastStep),
    n(s.last),
    n(s.min),
    n(s.max),
    lastTime(series[i]),
  ]);
  return [
    heading(ctx, 'Metrics'),
    renderTable(ctx, ['metric', 'points', 'last step', 'last', 'min', 'max', 'last at (UTC)'], rows, [
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
      'left',
    ]),
  ];
}

function lastTime(series: MetricSeries | undefined): string {
  const last = series?.timestamps[series.timestamps.length - 1];
  return last === undefined ? '-' : formatTime(new Date(last));
}

function artifactList(ctx: CliContext, artifacts: ArtifactEntry[]): string[] {
  if (artifacts.length === 0) return [];
  return [
    heading(ctx, 'Artifacts'),
    ...pairs(
      artifacts.map((a) => [
        a.name,
        [a.size !== undefined ? `${a.size} bytes` : '', a.contentType ?? ''].filter(Boolean).join(', '),
      ]),
    ),
  ];
}

function failTrace(ctx: CliContext, run: StoredRun): string[] {
  if (!run.fail_trace || run.fail_trace.length === 0) return [];
  // Sacred's entries keep their own newlines (and may hold several lines); ours may not.
  const text = run.fail_trace
    .map((line) => (line.endsWith('\n') ? line : `${line}\n`))
    .join('')
    .replace(/\n$/, '');
  return [heading(ctx, 'Fail trace'), ...text.split('\n').map((line) => ctx.colors.red(`  ${line}`))];
}
