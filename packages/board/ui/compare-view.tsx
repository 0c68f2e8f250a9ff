import { useEffect, useState } from 'preact/hooks';
import { getJson, type RunDetail } from './api.js';
import { flatten, formatValue } from './format.js';
import { ParallelCoordinates } from './parallel-coordinates.js';
import { href, type Route } from './route.js';

/** `#/compare?store=0&runs=1,2,3`: configs side by side, differences marked; a sweep's parameters against the result. */
export function CompareView({ route }: { route: Route }) {
  const store = route.params.get('store') ?? '0';
  const ids = (route.params.get('runs') ?? '').split(',').filter(Boolean);
  const [details, setDetails] = useState<RunDetail[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [onlyDifferences, setOnlyDifferences] = useState(false);
  useEffect(() => {
    Promise.all(ids.map((id) => getJson<RunDetail>(`stores/${store}/runs/${encodeURIComponent(id)}`))).then(
      setDetails,
      (failure: Error) => setError(failure.message),
    );
  }, [store, ids.join(',')]);
  if (error) return <p class="error">{error}</p>;
  if (!details) return <p>Loading…</p>;
  const configs = details.map((d) => flatten(d.run.config));
  const paths = [...new Set(configs.flatMap((c) => [...c.keys()]))].sort();
  const differs = (path: string) => new Set(configs.map((c) => JSON.stringify(c.get(path) ?? null))).size > 1;
  const shown = onlyDifferences ? paths.filter(differs) : paths;
  return (
    <section>
      <h2>Compare runs {ids.join(', ')}</h2>
      <label>
        <input
          type="checkbox"
          checked={onlyDifferences}
          onChange={(e) => setOnlyDifferences(e.currentTarget.checked)}
        />{' '}
        only differences
      </label>{' '}
      <a href={href('metrics', { store, runs: ids.join(',') })}>Overlay their metrics</a>
      <table class="compare">
        <thead>
          <tr>
            <th>config</th>
            {details.map((d) => (
              <th key={String(d.run._id)}>
                <a href={href('run', { store, id: String(d.run._id) })}>run {String(d.run._id)}</a>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((path, row) => (
            <tr key={path} class={differs(path) ? 'differs' : ''}>
              <th>{path}</th>
              {configs.map((c, i) => (
                <td key={`${row}-${i}`}>{formatValue(c.get(path))}</td>
              ))}
            </tr>
          ))}
          <tr class="result">
            <th>result</th>
            {details.map((d) => (
              <td key={String(d.run._id)}>{formatValue(d.run.result)}</td>
            ))}
          </tr>
        </tbody>
      </table>
      <h3>Parameters against the result</h3>
      <ParallelCoordinates
        runs={details.map((d) => ({ id: String(d.run._id), values: flatten(d.run.config), result: d.run.result }))}
        paths={paths.filter(differs)}
      />
    </section>
  );
}
