import { useEffect, useState } from 'preact/hooks';
import { previewKind } from '../src/artifact-types.js';
import { apiUrl, getJson, type ReproduceVerdict, type RunDetail } from './api.js';
import { flatten, formatDuration, formatTime, formatValue, statusText } from './format.js';
import { useLiveVersion } from './live.js';
import { MetricCharts } from './metrics-view.js';
import { href, type Route } from './route.js';

/** Everything stored about one run. Every string is rendered as text (Preact escapes it), never as HTML. */
export function RunPage({ route }: { route: Route }) {
  const store = route.params.get('store') ?? '0';
  const id = route.params.get('id') ?? '';
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const version = useLiveVersion(store, [id]);
  const base = `stores/${store}/runs/${encodeURIComponent(id)}`;

  useEffect(() => {
    getJson<RunDetail>(base).then(
      (body) => {
        setDetail(body);
        setError(null);
      },
      (failure: Error) => setError(failure.message),
    );
  }, [base, version]);

  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!detail) return <p>Loading run {id}…</p>;
  const { run } = detail;
  const updates = flatten(run.meta?.config_updates ?? {});
  const ended = run.stop_time ?? run.heartbeat;
  return (
    <article class="run">
      <h2>
        Run {String(run._id)}: <span class="name">{run.experiment?.name}</span>{' '}
        <span class={`status ${detail.probablyDead ? 'dead' : String(run.status).toLowerCase()}`}>
          {statusText(run.status, detail.probablyDead)}
        </span>
      </h2>
      <dl class="facts">
        <dt>started</dt>
        <dd>{formatTime(run.start_time)}</dd>
        <dt>stopped</dt>
        <dd>{formatTime(run.stop_time)}</dd>
        <dt>last heartbeat</dt>
        <dd>{formatTime(run.heartbeat)}</dd>
        <dt>duration</dt>
        <dd>
          {formatDuration(
            run.start_time && ended ? new Date(ended).getTime() - new Date(run.start_time).getTime() : null,
          )}
        </dd>
        <dt>result</dt>
        <dd>{formatValue(run.result)}</dd>
        <dt>command</dt>
        <dd>{run.command}</dd>
        {typeof run.meta?.comment === 'string' && (
          <>
            <dt>comment</dt>
            <dd>{run.meta.comment}</dd>
          </>
        )}
      </dl>
      <p>
        <a href={href('metrics', { store, runs: String(run._id) })}>Metrics view</a>
      </p>

      {run.fail_trace && run.fail_trace.length > 0 && (
        <Section title="Fail trace">
          <pre class="trace">{run.fail_trace.join('')}</pre>
        </Section>
      )}
      <Reproduction store={store} detail={detail} />

      <Section title="Metrics">
        <MetricCharts store={store} runs={[run._id]} names={detail.metricNames} version={version} compact />
      </Section>

      <Section title="Config">
        {(run.meta?.named_configs?.length ?? 0) > 0 && <p>named configs: {run.meta.named_configs?.join(', ')}</p>}
        <table class="kv">
          <tbody>
            {[...flatten(run.config)].map(([path, value]) => (
              <tr key={path} class={updates.has(path) ? 'changed' : ''}>
                <th>{path}</th>
                <td>{formatValue(value)}</td>
                <td class="muted">{updates.has(path) ? 'changed from the default' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>

      <Section title="Captured output">
        <pre class="output">{run.captured_out ?? ''}</pre>
      </Section>

      <Section title="Artifacts">
        <Artifacts base={base} artifacts={detail.artifacts} />
      </Section>

      <Section title="Sources">
        <Sources base={base} sources={run.experiment?.sources ?? []} />
      </Section>

      <Section title="Host">
        <KeyValues value={run.host} />
      </Section>
      <Section title="Git">
        {(run.experiment?.repositories ?? []).length === 0 ? (
          <p class="muted">no repository recorded</p>
        ) : (
          <ul>
            {run.experiment.repositories.map((repo) => (
              <li key={repo.url + repo.commit}>
                {repo.url} @ {repo.commit}
                {repo.dirty ? ' (dirty)' : ''}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Dependencies">
        <ul class="columns">
          {(run.experiment?.dependencies ?? []).map((dep) => (
            <li key={dep}>{dep}</li>
          ))}
        </ul>
      </Section>
      <Section title="Info">
        <pre>{JSON.stringify(run.info ?? {}, null, 2)}</pre>
      </Section>
    </article>
  );
}

function Section(props: { title: string; children: preact.ComponentChildren }) {
  return (
    <section aria-label={props.title}>
      <h3>{props.title}</h3>
      {props.children}
    </section>
  );
}

function KeyValues({ value }: { value: unknown }) {
  return (
    <table class="kv">
      <tbody>
        {[...flatten(value)].map(([path, v]) => (
          <tr key={path}>
            <th>{path}</th>
            <td>{formatValue(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * What `ritual reproduce` recorded: on a reproduction, the run it re-ran and the verdict it stored
 * (`info.reproduce`); on an original, its reproductions in this store and their verdicts.
 */
function Reproduction({ store, detail }: { store: string; detail: RunDetail }) {
  const { run, reproductions } = detail;
  const reproduces = run.meta?.reproduces as { run?: string | number; store?: string } | undefined;
  const stored = run.info?.reproduce;
  const verdict = stored !== null && typeof stored === 'object' ? (stored as ReproduceVerdict) : undefined;
  if (!reproduces && !verdict && reproductions.length === 0) return null;
  const of = verdict?.of ?? reproduces?.run;
  return (
    <Section title="Reproduction">
      {of !== undefined && (
        <p>
          Reproduces <a href={href('run', { store, id: String(of) })}>run {String(of)}</a>
          {(verdict?.store ?? reproduces?.store) ? ` of ${verdict?.store ?? reproduces?.store}` : ''}:{' '}
          {verdict?.verdict ? (
            <strong class={`verdict ${verdict.verdict === 'diverged' ? 'diverged' : 'same'}`}>{verdict.verdict}</strong>
          ) : (
            <span class="muted">no verdict stored</span>
          )}
        </p>
      )}
      {verdict?.summary && <p class="muted">{verdict.summary}</p>}
      {reproductions.length > 0 && (
        <ul aria-label="reproductions">
          {reproductions.map((copy) => (
            <li key={String(copy.id)}>
              <a href={href('run', { store, id: String(copy.id) })}>run {String(copy.id)}</a>:{' '}
              {copy.verdict?.verdict ?? `no verdict stored (${copy.status})`}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function Artifacts({ base, artifacts }: { base: string; artifacts: RunDetail['artifacts'] }) {
  const [preview, setPreview] = useState<{ name: string; text?: string } | null>(null);
  if (artifacts.length === 0) return <p class="muted">none</p>;
  const url = (name: string, download: boolean) =>
    apiUrl(`${base}/artifacts`, { name, download: download ? 1 : undefined });
  const show = async (name: string) => {
    if (previewKind(name) === 'image') return setPreview({ name });
    const text = await (await fetch(url(name, false))).text();
    const kind = previewKind(name);
    setPreview({ name, text: kind === 'json' ? prettyJson(text) : text });
  };
  return (
    <div>
      <table class="kv">
        <tbody>
          {artifacts.map(({ name, size }) => (
            <tr key={name}>
              <th>{name}</th>
              <td class="num">{size === undefined ? '' : `${size} B`}</td>
              <td>
                <a href={url(name, true)} download={name.split('/').pop()}>
                  Download {name}
                </a>
              </td>
              <td>
                {previewKind(name) && (
                  <button type="button" onClick={() => void show(name)}>
                    Preview {name}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {preview && (
        <figure class="preview" aria-label={`preview of ${preview.name}`}>
          {preview.text === undefined ? (
            <img src={url(preview.name, false)} alt={preview.name} />
          ) : (
            <pre>{preview.text}</pre>
          )}
        </figure>
      )}
    </div>
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function Sources({ base, sources }: { base: string; sources: Array<[string, string]> }) {
  const [shown, setShown] = useState<{ index: number; text: string } | null>(null);
  if (sources.length === 0) return <p class="muted">none recorded</p>;
  const view = async (index: number) => {
    const response = await fetch(apiUrl(`${base}/sources/${index}`));
    setShown({ index, text: response.ok ? await response.text() : `not available (HTTP ${response.status})` });
  };
  return (
    <div>
      <ul>
        {sources.map(([path], index) => (
          <li key={path}>
            <button type="button" class="link" onClick={() => void view(index)}>
              {path}
            </button>
          </li>
        ))}
      </ul>
      {shown && (
        <figure aria-label={`source ${sources[shown.index]?.[0] ?? ''}`}>
          <figcaption>{sources[shown.index]?.[0]}</figcaption>
          <pre class="source">{shown.text}</pre>
        </figure>
      )}
    </div>
  );
}
