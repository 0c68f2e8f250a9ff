import { useEffect, useState } from 'preact/hooks';
import { type ApiError, getJson, type RunRow, type RunsPage } from './api.js';
import { formatDuration, formatTime, formatValue, statusText } from './format.js';
import { useLiveVersion } from './live.js';
import { href, navigate, type Route } from './route.js';

const FIXED_COLUMNS: Array<[string, string]> = [
  ['id', 'id'],
  ['name', 'name'],
  ['status', 'status'],
  ['start', 'start (UTC)'],
  ['', 'duration'],
  ['result', 'result'],
];

/** The runs of a store: filtered, sorted and paged by the server; the URL holds it all. */
export function RunsTable({ route }: { route: Route }) {
  const p = route.params;
  const store = p.get('store') ?? '0';
  const where = p.get('where') ?? '';
  const sort = p.get('sort') ?? 'id';
  const page = Number(p.get('page') ?? '1');
  const columns = p.get('columns') ?? '';
  const metrics = p.get('metrics') ?? '';
  const state = { store, where, sort, page, columns, metrics };
  const go = (change: Partial<typeof state>) => navigate('runs', { ...state, ...change });

  const [data, setData] = useState<RunsPage | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [draft, setDraft] = useState(where);
  const [selected, setSelected] = useState<string[]>([]);
  const live = useLiveVersion(store, data?.rows.map((row) => row.id) ?? []);

  useEffect(() => setDraft(where), [where]);
  useEffect(() => {
    let stale = false;
    getJson<RunsPage>(`stores/${store}/runs`, { where, sort, page, columns, metrics }).then(
      (body) => {
        if (stale) return;
        setData(body);
        setError(null);
      },
      (failure: ApiError) => !stale && setError(failure),
    );
    return () => {
      stale = true;
    };
  }, [store, where, sort, page, columns, metrics, live]);

  const pages = data ? Math.max(1, Math.ceil(data.total / data.size)) : 1;
  const extra = columns ? columns.split(',') : [];
  const metricColumns = metrics ? metrics.split(',') : [];
  const sortBy = (field: string) => go({ sort: sort === field ? `-${field}` : field, page: 1 });
  const toggle = (id: string) => setSelected((now) => (now.includes(id) ? now.filter((x) => x !== id) : [...now, id]));

  return (
    <section>
      <form
        class="filter"
        onSubmit={(event) => {
          event.preventDefault();
          go({ where: draft, page: 1 });
        }}
      >
        <label>
          Filter
          <input
            aria-label="Filter runs"
            value={draft}
            placeholder="config.lr < 0.01 and status = COMPLETED"
            onInput={(event) => setDraft(event.currentTarget.value)}
          />
        </label>
        <button type="submit">Apply</button>
        <label>
          Config columns
          <input
            aria-label="Config columns"
            value={columns}
            placeholder="config.lr,config.batchSize"
            onChange={(event) => go({ columns: event.currentTarget.value.replace(/\s/g, '') })}
          />
        </label>
        <label>
          Metric columns
          <input
            aria-label="Metric columns"
            value={metrics}
            placeholder="loss,val.acc"
            onChange={(event) => go({ metrics: event.currentTarget.value.replace(/\s/g, '') })}
          />
        </label>
      </form>
      {error && <FilterError error={error} where={where} />}
      <div class="actions">
        <button
          type="button"
          disabled={selected.length < 2}
          onClick={() => navigate('compare', { store, runs: selected.join(',') })}
        >
          Compare selected ({selected.length})
        </button>
        <button
          type="button"
          disabled={selected.length < 1}
          onClick={() => navigate('metrics', { store, runs: selected.join(',') })}
        >
          Chart selected
        </button>
        {data && (
          <span class="count">
            {data.total} run{data.total === 1 ? '' : 's'}
            {where ? ' match' : ''}
          </span>
        )}
      </div>
      {data && (
        <table class="runs">
          <thead>
            <tr>
              <th>
                <span class="sr-only">select</span>
              </th>
              {FIXED_COLUMNS.map(([field, label]) => (
                <th key={label}>
                  {field ? <SortButton field={field} label={label} sort={sort} onSort={sortBy} /> : label}
                </th>
              ))}
              {extra.map((path) => (
                <th key={path}>
                  <SortButton field={path} label={path} sort={sort} onSort={sortBy} />
                </th>
              ))}
              {metricColumns.map((name) => (
                <th key={name}>{name} (last)</th>
              ))}
              <th>sweep</th>
            </tr>
          </thead>
          <tbody>
            {data.rows.map((row) => (
              <Row
                key={String(row.id)}
                row={row}
                store={store}
                extra={extra}
                metricColumns={metricColumns}
                selected={selected.includes(String(row.id))}
                onToggle={toggle}
                onSweep={(id) => go({ where: `meta.sweep.id = "${id}"`, page: 1 })}
              />
            ))}
          </tbody>
        </table>
      )}
      {data && (
        <nav class="pager" aria-label="pages">
          <button type="button" disabled={page <= 1} onClick={() => go({ page: page - 1 })}>
            Previous
          </button>
          <span>
            Page {page} of {pages}
          </span>
          <button type="button" disabled={page >= pages} onClick={() => go({ page: page + 1 })}>
            Next
          </button>
        </nav>
      )}
      {data && data.malformed.length > 0 && (
        <div class="malformed" role="alert">
          <h3>Malformed runs (not listed)</h3>
          <ul>
            {data.malformed.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

function SortButton(props: { field: string; label: string; sort: string; onSort: (field: string) => void }) {
  const arrow = props.sort === props.field ? ' ▲' : props.sort === `-${props.field}` ? ' ▼' : '';
  return (
    <button type="button" class="sort" onClick={() => props.onSort(props.field)}>
      {props.label}
      {arrow}
    </button>
  );
}

function Row(props: {
  row: RunRow;
  store: string;
  extra: string[];
  metricColumns: string[];
  selected: boolean;
  onToggle: (id: string) => void;
  onSweep: (id: string) => void;
}) {
  const { row } = props;
  const id = String(row.id);
  return (
    <tr>
      <td>
        <input
          type="checkbox"
          aria-label={`Select run ${id}`}
          checked={props.selected}
          onChange={() => props.onToggle(id)}
        />
      </td>
      <td>
        <a href={href('run', { store: props.store, id })}>{id}</a>
      </td>
      <td>{row.name}</td>
      <td class={`status ${row.probablyDead ? 'dead' : row.status.toLowerCase()}`}>
        {statusText(row.status, row.probablyDead)}
      </td>
      <td>{formatTime(row.start_time)}</td>
      <td class="num">{formatDuration(row.duration_ms)}</td>
      <td class="num">{formatValue(row.result)}</td>
      {props.extra.map((path) => (
        <td key={path} class="num">
          {formatValue(row.columns[path])}
        </td>
      ))}
      {props.metricColumns.map((name) => (
        <td key={name} class="num">
          {formatValue(row.metrics[name])}
        </td>
      ))}
      <td>
        {row.sweep && (
          <button type="button" class="link" onClick={() => props.onSweep(row.sweep?.id ?? '')}>
            {row.sweep.id} #{row.sweep.index}
          </button>
        )}
      </td>
    </tr>
  );
}

/** The server's message, and the expression with the character it points at marked. */
function FilterError({ error, where }: { error: ApiError; where: string }) {
  const at = error.position;
  return (
    <div class="error" role="alert">
      <p>{error.message}</p>
      {at !== undefined && (
        <pre class="where">
          {where.slice(0, at)}
          <mark>{where.slice(at, at + 1) || ' '}</mark>
          {where.slice(at + 1)}
        </pre>
      )}
    </div>
  );
}
