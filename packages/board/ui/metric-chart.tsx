import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { getJson, type RunId, type Series } from './api.js';

export interface ChartOptions {
  x: 'step' | 'time';
  log: boolean;
  /** Exponential moving average weight, 0 (raw) to 0.99, as TensorBoard's slider. */
  smooth: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const HEIGHT = 220;

/**
 * One metric of one or more runs, overlaid. The server sends what the
 * pixels need (min/max per pixel column); selecting a range with the mouse
 * asks it for that range at full detail, a double click zooms back out.
 */
export function MetricChart(props: {
  store: string;
  runs: RunId[];
  name: string;
  options: ChartOptions;
  /** Goes up when a live run has new points. */
  version: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [range, setRange] = useState<[number, number] | null>(null);
  const [series, setSeries] = useState<Series[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { x, log, smooth } = props.options;
  const width = Math.max(300, Math.min(1200, (box.current?.clientWidth ?? 640) - 10));
  const runsKey = props.runs.join(',');

  useEffect(() => setRange(null), [x, runsKey, props.name]);
  useEffect(() => {
    let stale = false;
    // time is epoch ms on the server; uPlot's time axis counts seconds
    const scale = x === 'time' ? 1000 : 1;
    Promise.all(
      props.runs.map((id) =>
        getJson<Series>(`stores/${props.store}/runs/${encodeURIComponent(String(id))}/series`, {
          name: props.name,
          width,
          x,
          from: range ? range[0] * scale : undefined,
          to: range ? range[1] * scale : undefined,
        }),
      ),
    ).then(
      (all) => {
        if (stale) return;
        setSeries(all.map((s) => ({ ...s, x: s.x.map((v) => v / scale) })));
        setError(null);
      },
      (failure: Error) => !stale && setError(failure.message),
    );
    return () => {
      stale = true;
    };
  }, [props.store, runsKey, props.name, x, range?.[0], range?.[1], props.version, width]);

  useEffect(() => {
    if (!box.current || !series) return;
    const data = alignSeries(series, smooth, log);
    const plot = new uPlot(
      {
        width,
        height: HEIGHT,
        scales: { x: { time: x === 'time' }, y: log ? { distr: 3 } : {} },
        cursor: { drag: { x: true, y: false, setScale: false } },
        legend: { show: props.runs.length > 1 },
        series: [
          {},
          ...props.runs.map((id, i) => ({
            label: `run ${String(id)}`,
            stroke: COLORS[i % COLORS.length] as string,
            width: 1.5,
            spanGaps: true,
          })),
        ],
        hooks: {
          setSelect: [
            (u: uPlot) => {
              if (u.select.width < 3) return;
              const from = u.posToVal(u.select.left, 'x');
              const to = u.posToVal(u.select.left + u.select.width, 'x');
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              setRange([from, to]);
            },
          ],
        },
      },
      data,
      box.current,
    );
    // uPlot's own double-click resets to the data it has; here it also fetches the whole range again
    plot.over.addEventListener('dblclick', () => setRange(null));
    return () => plot.destroy();
  }, [series, smooth, log, x]);

  const points = series?.reduce((sum, s) => sum + s.pointsInRange, 0) ?? 0;
  return (
    <figure class="chart" aria-label={`chart ${props.name}`}>
      <figcaption>
        {props.name}
        <span class="muted">
          {' '}
          {points} point{points === 1 ? '' : 's'}
          {range ? ' (zoomed: double-click to zoom out)' : ''}
        </span>
      </figcaption>
      {error && <p class="error">{error}</p>}
      <div ref={box} class="plot" />
    </figure>
  );
}

/** uPlot draws series over one shared x array: merge the runs' x values, leaving gaps (null) where a run has none. */
function alignSeries(all: Series[], smooth: number, log: boolean): uPlot.AlignedData {
  const xs = [...new Set(all.flatMap((s) => s.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((v, i) => [v, i]));
  const ys = all.map((s) => {
    const column: Array<number | null> = new Array(xs.length).fill(null);
    let average: number | null = null;
    s.x.forEach((xv, i) => {
      const raw = s.y[i];
      if (raw === null || raw === undefined || !Number.isFinite(raw)) return;
      average = average === null ? raw : average * smooth + raw * (1 - smooth);
      const value = smooth > 0 ? average : raw;
      column[index.get(xv) as number] = log && value <= 0 ? null : value;
    });
    return column;
  });
  return [xs, ...ys] as uPlot.AlignedData;
}
