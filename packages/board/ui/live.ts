import { useEffect, useState } from 'preact/hooks';
import { apiUrl, type RunId } from './api.js';

/**
 * A counter that goes up whenever the server says one of these runs (or the
 * set of runs in the store) changed: views put it in their fetch's
 * dependencies, so a live run's status, output and charts refresh by themselves.
 */
export function useLiveVersion(store: string, ids: RunId[]): number {
  const [version, setVersion] = useState(0);
  const key = ids.join(',');
  useEffect(() => {
    const source = new EventSource(apiUrl('events', { store, runs: key }));
    const bump = () => setVersion((v) => v + 1);
    source.addEventListener('run', bump);
    source.addEventListener('runs', bump);
    return () => source.close();
  }, [store, key]);
  return version;
}
