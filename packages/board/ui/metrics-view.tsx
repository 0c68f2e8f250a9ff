import { useEffect, useState } from 'preact/hooks';
import { getJson, type RunDetail, type RunId } from './api.js';
import { useLiveVersion } from './live.js';
import { type ChartOptions, MetricChart } from './metric-chart.js';
import type { Route } from './route.js';

/** Charts shown at once on a run page; the metrics view shows any. */
const COMPACT_CHARTS = 8;

/** Charts of metrics, each overlaying the runs; x by step or time, log scale, smoothing; system.* apart. */
export function MetricCharts(props: {
  store: string;
  runs: RunId[];
  names: string[];
  version: number;
  compact?: boolean;
}) {
  const [options, setOptions] = useState<ChartOptions>({ x: 'step', log: false, smooth: 0 });
  if (props.names.length === 0) return <p class="muted">no metrics logged</p>;
  const training = props.names.filter((name) => !name.startsWith('system.'));
  const system = props.names.filter((name) => name.startsWith('system.'));
  const limit = props.compact ? COMPACT_CHARTS : Number.POSITIVE_INFINITY;
  const chart = (name: string) => (
    <MetricChart
      key={name}
      store={props.store}
      runs={props.runs}
      name={name}
      options={options}
      version={props.version}
    />
  );
  return (
    <div>
      <div class="chart-controls">
        <label>
          x axis{' '}
          <select
            aria-label="x axis"
            value={options.x}
            onChange={(event) => setOptions({ ...options, x: event.currentTarget.value as ChartOptions['x'] })}
          >
            <option value="step">step</option>
            <option value="time">time</option>
          </select>
        </label>
        <label>
          <input
            type="checkbox"
            checked={options.log}
            onChange={(event) => setOptions({ ...options, log: event.currentTarget.checked })}
          />{' '}
          log scale
        </label>
        <label>
          smoothing{' '}
          <input
            aria-label="smoothing"
            type="range"
            min="0"
            max="0.99"
            step="0.01"
            value={options.smooth}
            onInput={(event) => setOptions({ ...options, smooth: Number(event.currentTarget.value) })}
          />{' '}
          {options.smooth.toFixed(2)}
        </label>
      </div>
      <div class="charts">{training.slice(0, limit).map(chart)}</div>
      {training.length > limit && <p class="muted">{training.length - limit} more in the metrics view</p>}
      {system.length > 0 && (
        <details open={!props.compact}>
          <summary>System ({system.length})</summary>
          <div class="charts">{system.map(chart)}</div>
        </details>
      )}
    </div>
  );
}

/** `#/metrics?store=0&runs=1,2`: every metric of the chosen runs, overlaid. */
export function MetricsView({ route }: { route: Route }) {
  const store = route.params.get('store') ?? '0';
  const runs = (route.params.get('runs') ?? '').split(',').filter(Boolean);
  const [names, setNames] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const version = useLiveVersion(store, runs);
  useEffect(() => {
    Promise.all(runs.map((id) => getJson<RunDetail>(`stores/${store}/runs/${encodeURIComponent(id)}`))).then(
      (details) => setNames([...new Set(details.flatMap((d) => d.metricNames))].sort()),
      (failure: Error) => setError(failure.message),
    );
  }, [store, runs.join(','), version]);
  if (runs.length === 0) return <p>Select runs in the runs table, then “Chart selected”.</p>;
  return (
    <section>
      <h2>
        Metrics of run{runs.length > 1 ? 's' : ''} {runs.join(', ')}
      </h2>
      {error && <p class="error">{error}</p>}
      {names && <MetricCharts store={store} runs={runs} names={names} version={version} />}
    </section>
  );
}
