import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';
import './board.css';
import { CompareView } from './compare-view.js';
import { MetricsView } from './metrics-view.js';
import { href, useRoute } from './route.js';
import { RunPage } from './run-page.js';
import { RunsTable } from './runs-table.js';

interface StoreEntry {
  index: number;
  location: string;
  kind: string;
}

function App() {
  const route = useRoute();
  const [stores, setStores] = useState<StoreEntry[]>([]);
  useEffect(() => {
    getJson<StoreEntry[]>('stores').then(setStores, () => setStores([]));
  }, []);
  const store = route.params.get('store') ?? '0';
  const view =
    route.view === 'run' ? (
      <RunPage route={route} />
    ) : route.view === 'metrics' ? (
      <MetricsView route={route} />
    ) : route.view === 'compare' ? (
      <CompareView route={route} />
    ) : (
      <RunsTable route={route} />
    );
  return (
    <>
      <header>
        <h1>
          <a href={href('runs', { store })}>ritual board</a>
        </h1>
        <nav aria-label="stores">
          {stores.map((s) => (
            <a
              key={s.index}
              href={href('runs', { store: s.index })}
              aria-current={String(s.index) === store ? 'page' : undefined}
            >
              {s.location}
            </a>
          ))}
        </nav>
      </header>
      <main>{view}</main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
