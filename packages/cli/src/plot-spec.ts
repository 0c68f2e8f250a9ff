/** One drawn point: which run, which metric, where. */
export interface PlotPoint {
  run: string;
  metric: string;
  step: number;
  value: number;
}

export interface PlotLayout {
  title?: string | undefined;
  /** Size of one chart; several metrics get one chart each, stacked. */
  width: number;
  height: number;
  logY: boolean;
  /** Metric names in the order asked, which is the order of the charts. */
  metrics: string[];
}

/**
 * The Vega-Lite spec of a metrics plot: step on x, value on y, one coloured
 * line per run, and one chart per metric (stacked, each with its own y scale,
 * since a loss and an accuracy share no range). Points are marked only while
 * they are few enough to tell apart.
 */
export function buildPlotSpec(points: PlotPoint[], layout: PlotLayout): object {
  const perSeries = new Map<string, number>();
  for (const p of points)
    perSeries.set(`${p.run}\u0000${p.metric}`, (perSeries.get(`${p.run}\u0000${p.metric}`) ?? 0) + 1);
  const showPoints = Math.max(...perSeries.values()) <= 60;
  const y: Record<string, unknown> = {
    field: 'value',
    type: 'quantitative',
    title: layout.metrics.length === 1 ? layout.metrics[0] : 'value',
  };
  // A log axis cannot show 0 or negatives; zero:false also keeps linear axes tight around the curve.
  y.scale = layout.logY ? { type: 'log' } : { zero: false };
  const single = {
    mark: { type: 'line', point: showPoints, interpolate: 'linear', strokeWidth: 2 },
    encoding: {
      // Steps are whole numbers: no 0.2-step ticks on short runs.
      x: { field: 'step', type: 'quantitative', title: 'step', axis: { tickMinStep: 1 } },
      y,
      color: { field: 'run', type: 'nominal', title: 'run', sort: null },
      tooltip: [{ field: 'run' }, { field: 'step' }, { field: 'value' }],
    },
    width: layout.width,
    height: layout.height,
  };
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 12,
    data: { values: layout.logY ? points.filter((p) => p.value > 0) : points },
    ...(layout.title ? { title: layout.title } : {}),
  };
  if (layout.metrics.length === 1) return { ...base, ...single };
  return {
    ...base,
    facet: {
      row: {
        field: 'metric',
        type: 'nominal',
        title: null,
        sort: layout.metrics,
        header: {
          labelFontSize: 13,
          labelFontWeight: 'bold',
          labelAngle: 0,
          labelAlign: 'left',
          labelAnchor: 'start',
          labelOrient: 'top',
        },
      },
    },
    spec: single,
    resolve: { scale: { y: 'independent' } },
  };
}
