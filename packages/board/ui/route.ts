import { useEffect, useState } from 'preact/hooks';

/**
 * Every view is a URL (as in Datasette): the hash holds the view and its
 * state (`#/runs?where=...&sort=-result&page=2`), so what a person sees can
 * be bookmarked, shared and reloaded.
 */
export interface Route {
  view: string;
  params: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [view = '', query = ''] = hash.split('?', 2);
  return { view: view || 'runs', params: new URLSearchParams(query) };
}

export function href(view: string, params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const query = search.toString();
  return `#/${view}${query ? `?${query}` : ''}`;
}

export function navigate(view: string, params: Record<string, string | number | undefined | null>): void {
  location.hash = href(view, params);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
