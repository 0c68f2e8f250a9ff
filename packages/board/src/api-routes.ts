import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RunNotFoundError, UsageError } from '@ritual/core';
import { isProbablyDead, type StoredRun } from '@ritual/observers';
import { type BoardStore, isRunName, runIdOf } from './board-store.js';
import { HttpError } from './http-error.js';
import type { LiveUpdates } from './live-updates.js';
import { reproductionsOf } from './reproductions.js';
import { runsPage } from './runs-page.js';
import type { SeriesCache, XAxis } from './series-cache.js';
import { downsample } from './series-downsample.js';
import { artifactType, previewable } from './artifact-types.js';

/** Widest chart served: more buckets than any screen has pixels buys nothing. */
const MAX_WIDTH = 8000;

export interface ApiContext {
  stores: BoardStore[];
  live: LiveUpdates;
  series: SeriesCache;
  now: () => Date;
}

/**
 * The JSON API the UI is built on (and scripts may use): every view's data
 * has a URL. Read-only: only GET is answered.
 */
export async function handleApi(context: ApiContext, url: URL, request: IncomingMessage, response: ServerResponse) {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    throw new HttpError(405, 'The board is read-only: only GET requests are answered.');
  }
  const parts = url.pathname.split('/').slice(2).map(decodeURIComponent); // after "/api"
  const query = url.searchParams;
  if (parts[0] === 'stores' && parts.length === 1) {
    return json(
      response,
      context.stores.map(({ index, store, folder }) => ({
        index,
        location: store.location,
        kind: folder ? 'folder' : 'mongodb',
      })),
    );
  }
  if (parts[0] === 'events' && parts.length === 1) {
    const target = storeAt(context, query.get('store') ?? '0');
    const ids = (query.get('runs') ?? '').split(',').filter(isRunName).slice(0, 200).map(runIdOf);
    context.live.subscribe(response, target, ids);
    return;
  }
  if (parts[0] !== 'stores' || parts[2] !== 'runs') throw new HttpError(404, `No API at ${url.pathname}.`);
  const target = storeAt(context, parts[1] ?? '');
  const store = target.store;
  if (parts.length === 3) {
    return json(
      response,
      await runsPage(
        store,
        {
          where: query.get('where') ?? undefined,
          sort: query.get('sort') ?? undefined,
          page: numberParam(query, 'page'),
          size: numberParam(query, 'size'),
          columns: listParam(query, 'columns'),
          metrics: listParam(query, 'metrics'),
        },
        context.now(),
      ),
    );
  }
  const id = runIdOf(parts[3] ?? '');
  const run = await readRun(target, id);
  const what = parts[4];
  if (parts.length === 4) {
    const [metricNames, artifacts, reproductions] = await Promise.all([
      store.metricNames(id).catch(() => []),
      store.artifacts(id).catch(() => []),
      reproductionsOf(target, id).catch(() => []),
    ]);
    return json(response, {
      run,
      probablyDead: isProbablyDead(run, context.now()),
      metricNames,
      artifacts,
      reproductions,
    });
  }
  if (what === 'series' && parts.length === 5) {
    const name = query.get('name');
    if (!name) throw new HttpError(400, 'Say which metric: ?name=loss.');
    const axis: XAxis = query.get('x') === 'time' ? 'time' : 'step';
    const width = Math.min(MAX_WIDTH, Math.max(1, numberParam(query, 'width') ?? 800));
    const version = `${run.heartbeat?.getTime() ?? ''}/${run.stop_time?.getTime() ?? ''}/${run.status}`;
    const started = performance.now();
    const arrays = await context.series.load(store, String(target.index), id, name, axis, version);
    const sampled = downsample(arrays, { width, from: numberParam(query, 'from'), to: numberParam(query, 'to') });
    return json(response, { name, axis, ...sampled, ms: Math.round(performance.now() - started) });
  }
  if (what === 'artifacts' && parts.length === 5) {
    const name = query.get('name') ?? '';
    // only a name the run lists: a path of the client's own never reaches the store
    if (!run.artifacts.includes(name))
      throw new HttpError(404, `Run ${String(id)} has no artifact named ${JSON.stringify(name)}.`);
    const download = query.get('download') === '1' || !previewable(name);
    return stream(response, await store.openArtifact(id, name), artifactType(name), download ? name : null);
  }
  if (what === 'sources' && parts.length === 6) {
    const index = Number(parts[5]);
    const source = Number.isInteger(index) ? run.experiment?.sources?.[index] : undefined;
    if (!source) throw new HttpError(404, `Run ${String(id)} has no source number ${parts[5]}.`);
    return stream(response, await store.openStoredFile(source[1]), 'text/plain; charset=utf-8', null);
  }
  throw new HttpError(404, `No API at ${url.pathname}.`);
}

function storeAt(context: ApiContext, text: string): BoardStore {
  const target = context.stores[Number(text)];
  if (!/^\d+$/.test(text) || target === undefined) {
    throw new HttpError(
      404,
      `No store number ${JSON.stringify(text)}: this board shows stores 0 to ${context.stores.length - 1}.`,
    );
  }
  return target;
}

/** A run, or a 404 / a 422 that says the run's folder or document cannot be read (shown as malformed). */
async function readRun(target: BoardStore, id: string | number): Promise<StoredRun> {
  try {
    return await target.store.get(id);
  } catch (error) {
    if (error instanceof RunNotFoundError) throw new HttpError(404, error.message);
    if (error instanceof UsageError) throw new HttpError(400, error.message);
    const message = error instanceof Error ? error.message : String(error);
    throw new HttpError(422, `Run ${String(id)} is malformed and cannot be shown: ${message}`);
  }
}

function numberParam(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new HttpError(400, `?${name}= must be a number, not ${JSON.stringify(text)}.`);
  return value;
}

function listParam(query: URLSearchParams, name: string): string[] {
  return (query.get(name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

export function json(response: ServerResponse, body: unknown, status = 200): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify(body));
}

/**
 * A stored file, sandboxed: never sniffed into HTML, never able to run a
 * script even when opened on its own (an HTML or SVG artifact is downloaded).
 */
async function stream(response: ServerResponse, body: Readable, type: string, downloadAs: string | null) {
  const headers: Record<string, string> = {
    'Content-Type': type,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': 'sandbox; default-src none; img-src data:',
  };
  if (downloadAs !== null) {
    const file = downloadAs.split('/').pop() ?? 'artifact';
    headers['Content-Disposition'] = `attachment; filename*=UTF-8''${encodeURIComponent(file)}`;
  }
  response.writeHead(200, headers);
  await pipeline(body, response);
}
