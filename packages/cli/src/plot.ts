import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { MissingDependencyError, UsageError, type RunId } from '@ritual/core';
import type { RunStore } from '@ritual/observers';
import type { CliContext } from './context.js';
import { loadMetric } from './metrics.js';
import { buildPlotSpec, type PlotPoint } from './plot-spec.js';
import { parseRunId, splitStore, withStore } from './store-argument.js';
import { errorMessage } from '@ritual/core/observer-kit';

export interface PlotOptions {
  output?: string;
  title?: string;
  width?: string;
  height?: string;
  logY?: boolean;
}

/** A series longer than this is thinned (every k-th point, the last kept) so the picture stays light. */
export const MAX_POINTS_PER_SERIES = 2000;

export function plotCommand(ctx: CliContext): Command {
  return new Command('plot')
    .description('Draw metric curves of one or more runs into an SVG or PNG file (no browser needed).')
    .argument('[store]', 'runs folder or mongodb:// URL (default: runs)')
    .argument('[ids]', 'run ids, comma-separated: 3 or 3,4,7')
    .argument('[names]', 'metric names, comma-separated: loss or loss,val_loss')
    .usage('[STORE] ID[,ID...] NAME[,NAME...] -o FILE.svg|FILE.png [options]')
    .option('-o, --output <file>', 'where to write the picture; .svg or .png')
    .option('--title <text>', 'chart title')
    .option('--width <px>', 'width of one chart in pixels', '640')
    .option('--height <px>', 'height of one chart in pixels', '320')
    .option('--log-y', 'logarithmic y axis (losses over many orders of magnitude)')
    .addHelpText(
      'after',
      '\nExamples:\n  ritual plot 3 loss -o loss.svg\n  ritual plot 3,4,7 loss,acc -o curves.png      one chart per metric, one line per run\n  ritual plot path/to/runs 3 loss --log-y -o loss.png',
    )
    .action(async (a: string | undefined, b: string | undefined, c: string | undefined, options: PlotOptions) => {
      const positionals = [a, b, c].filter((p): p is string => p !== undefined);
      const { location, rest } = splitStore(positionals, {
        fixed: 2,
        usage: '[STORE] ID[,ID...] NAME[,NAME...] -o FILE, e.g. `ritual plot 3,4 loss -o loss.png`',
      });
      const format = outputFormat(options.output);
      const width = pixels(options.width ?? '640', '--width');
      const height = pixels(options.height ?? '320', '--height');
      await withStore(location, async (store) => {
        const ids = splitList(rest[0] as string, 'run id').map(parseRunId);
        const names = splitList(rest[1] as string, 'metric name');
        const points = await collectPoints(ctx, store, ids, names);
        const spec = buildPlotSpec(points, {
          title: options.title,
          width,
          height,
          logY: Boolean(options.logY),
          metrics: names,
        });
        const image = await renderChart(spec, format);
        const file = options.output as string;
        await mkdir(path.dirname(path.resolve(file)), { recursive: true });
        await writeFile(file, image);
        ctx.err(
          `Wrote ${file} (${ids.length} run${ids.length === 1 ? '' : 's'}, ${names.length} metric${names.length === 1 ? '' : 's'}).`,
        );
      });
    });
}

async function collectPoints(ctx: CliContext, store: RunStore, ids: RunId[], names: string[]): Promise<PlotPoint[]> {
  const points: PlotPoint[] = [];
  for (const id of ids) {
    const run = await store.get(id);
    const label = `${String(run._id)} ${run.experiment?.name ?? ''}`.trim();
    for (const name of names) {
      let series;
      try {
        series = await loadMetric(store, id, name);
      } catch (error) {
        // With several runs, one lacking a metric is worth a warning, not a refusal.
        if (ids.length * names.length > 1 && error instanceof UsageError) {
          ctx.err(ctx.colors.yellow(`ritual: ${error.message}`));
          continue;
        }
        throw error;
      }
      const stride = Math.max(1, Math.ceil(series.values.length / MAX_POINTS_PER_SERIES));
      series.values.forEach((value, i) => {
        const isKept = i % stride === 0 || i === series.values.length - 1;
        // NaN / Infinity (a diverged loss) cannot be drawn; the gap shows it.
        if (isKept && Number.isFinite(value))
          points.push({ run: label, metric: name, step: series.steps[i] ?? i, value });
      });
    }
  }
  if (points.length === 0)
    throw new UsageError(`Nothing to plot: none of runs ${ids.join(', ')} has finite values of ${names.join(', ')}.`);
  return points;
}

/** Vega renders the SVG headlessly (renderer "none"); resvg turns it into PNG with the system fonts. */
async function renderChart(vegaLiteSpec: object, format: 'svg' | 'png'): Promise<Buffer> {
  const { vega, vegaLite, resvg } = await loadPlotStack(format);
  const view = new vega.View(
    vega.parse(vegaLite.compile(vegaLiteSpec as Parameters<typeof vegaLite.compile>[0]).spec),
    { renderer: 'none' },
  );
  try {
    const svg = await view.toSVG();
    if (format === 'svg' || !resvg) return Buffer.from(svg, 'utf8');
    const image = new resvg.Resvg(svg, {
      font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
      fitTo: { mode: 'zoom', value: 2 },
      background: 'white',
    });
    return image.render().asPng();
  } finally {
    view.finalize();
  }
}

interface PlotStack {
  vega: typeof import('vega');
  vegaLite: typeof import('vega-lite');
  resvg: typeof import('@resvg/resvg-js') | undefined;
}

/**
 * The plotting packages are optional peers of @ritual/cli (48 MB that `ls` and `show` do not need).
 * Every one the picture needs is tried first, so a single message names all that are missing.
 */
async function loadPlotStack(format: 'svg' | 'png'): Promise<PlotStack> {
  const names = format === 'png' ? ['vega', 'vega-lite', '@resvg/resvg-js'] : ['vega', 'vega-lite'];
  const loaded = await Promise.allSettled(names.map((name) => import(name) as Promise<unknown>));
  const missing = names.filter((name, i) => {
    const result = loaded[i] as PromiseSettledResult<unknown>;
    return result.status === 'rejected' && isModuleNotFound(result.reason, name);
  });
  if (missing.length > 0) {
    const purpose = `to draw ${format.toUpperCase()} plots with \`ritual plot\``;
    throw new MissingDependencyError(missing, purpose, {
      cause: (loaded.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason,
    });
  }
  const modules = loaded.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  });
  return {
    vega: modules[0] as typeof import('vega'),
    vegaLite: modules[1] as typeof import('vega-lite'),
    resvg: modules[2] as typeof import('@resvg/resvg-js') | undefined,
  };
}

/** Only "not installed" becomes the install hint; a broken install keeps its own error. */
function isModuleNotFound(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // vega-lite without vega fails with "Cannot find package 'vega'": that names vega, not vega-lite.
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    String(errorMessage(error)).includes(`'${name}'`)
  );
}

function outputFormat(file: string | undefined): 'svg' | 'png' {
  if (!file) throw new UsageError('Say where to write the plot with -o FILE.svg or -o FILE.png.');
  const ext = path.extname(file).toLowerCase();
  if (ext === '.svg') return 'svg';
  if (ext === '.png') return 'png';
  throw new UsageError(`Cannot write a plot to ${JSON.stringify(file)}: the file must end in .svg or .png.`);
}

function pixels(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 50 || value > 10000)
    throw new UsageError(`${flag} needs a whole number of pixels between 50 and 10000, got ${JSON.stringify(text)}.`);
  return value;
}

function splitList(text: string, what: string): string[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => p === ''))
    throw new UsageError(
      `An empty ${what} in ${JSON.stringify(text)}; separate them with commas and no gaps, e.g. 3,4.`,
    );
  return [...new Set(parts)];
}
