/** The board's JSON API, as the UI uses it (the same URLs answer scripts). */

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly position?: number,
  ) {
    super(message);
  }
}

export async function getJson<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const response = await fetch(apiUrl(path, params));
  const body = (await response.json().catch(() => ({ error: `HTTP ${response.status}` }))) as T & {
    error?: string;
    position?: number;
  };
  if (!response.ok) throw new ApiError(body.error ?? `HTTP ${response.status}`, response.status, body.position);
  return body;
}

export function apiUrl(path: string, params: Record<string, string | number | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== '') search.set(key, String(value));
  const query = search.toString();
  return `/api/${path}${query ? `?${query}` : ''}`;
}

export type RunId = number | string;

export type { RunRow, RunsPage } from '../src/api-shapes.js';

export interface StoredRun {
  _id: RunId;
  experiment: {
    name: string;
    base_dir: string;
    mainfile: string | null;
    sources: Array<[string, string]>;
    dependencies: string[];
    repositories: Array<{ url: string; commit: string; dirty: boolean }>;
  };
  command: string;
  host: Record<string, unknown>;
  meta: Record<string, unknown> & { config_updates?: Record<string, unknown>; named_configs?: string[] };
  config: Record<string, unknown>;
  status: string;
  start_time: string | null;
  heartbeat: string | null;
  stop_time: string | null;
  result: unknown;
  info: Record<string, unknown>;
  artifacts: string[];
  fail_trace: string[] | null;
  captured_out?: string;
}

export interface RunDetail {
  run: StoredRun;
  probablyDead: boolean;
  metricNames: string[];
  artifacts: Array<{ name: string; size?: number }>;
  /** Runs of this store that reproduce this one, with the verdict each stored (`info.reproduce`). */
  reproductions: Array<{ id: string | number; status: string; verdict: ReproduceVerdict | null }>;
}

/** `info.reproduce` as `ritual reproduce` stores it on the reproduction run. */
export interface ReproduceVerdict {
  of?: string | number;
  store?: string;
  verdict?: string;
  summary?: string;
  rtol?: number;
  atol?: number;
}

export interface Series {
  name: string;
  x: number[];
  y: number[];
  pointsInRange: number;
  extent: [number, number] | null;
}
