import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RitualError, UsageError } from '@ritual/core';
import { openStore, type RunStore } from '@ritual/observers';
import { AccessToken } from './access-token.js';
import { handleApi, json, type ApiContext } from './api-routes.js';
import { boardStore } from './board-store.js';
import { HttpError } from './http-error.js';
import { LiveUpdates, POLL_INTERVAL_MS } from './live-updates.js';
import { SeriesCache } from './series-cache.js';
import { checkAssetsBuilt, serveAsset } from './static-assets.js';

export interface BoardOptions {
  /** Runs folders and `mongodb://` URLs, shown side by side (default: `runs`). */
  stores?: Array<string | RunStore>;
  /** 0 (the default) picks a free port. */
  port?: number;
  /**
   * Address to listen on. Absent: 127.0.0.1, no token. Given (even
   * 127.0.0.1): the board may be reachable from elsewhere, so it asks for a token.
   */
  host?: string;
  /** The token to require with `host`; by default a random one. */
  token?: string;
  /** How often live runs are looked at, in ms (default 1000). */
  pollIntervalMs?: number;
  /** The clock that decides when a RUNNING run is probably dead (tests pin it). */
  now?: () => Date;
}

export interface Board {
  /** The address to open; with a token, the URL carries it (`?token=`), as Jupyter prints it. */
  url: string;
  /** The bare address, without the token. */
  origin: string;
  token: string | null;
  port: number;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  // every stored string is rendered as text by the UI; this policy stops a script that got in anyway
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; object-src 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** Open the stores and serve the board; resolves once it listens. */
export async function startBoard(options: BoardOptions = {}): Promise<Board> {
  await checkAssetsBuilt();
  const opened: RunStore[] = [];
  try {
    for (const location of options.stores?.length ? options.stores : ['runs']) {
      opened.push(typeof location === 'string' ? await openStore(location) : location);
    }
  } catch (error) {
    await Promise.all(opened.map((store) => store.close().catch(() => undefined)));
    throw error;
  }
  const now = options.now ?? (() => new Date());
  const context: ApiContext = {
    stores: opened.map((store, index) => boardStore(index, store)),
    live: new LiveUpdates(options.pollIntervalMs ?? POLL_INTERVAL_MS, now),
    series: new SeriesCache(),
    now,
  };
  const host = options.host ?? '127.0.0.1';
  const access = new AccessToken(options.host !== undefined, options.token);
  let localHosts: string[] = [];
  const server = createServer((request, response) => {
    void respond(context, access, localHosts, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new UsageError(
              `Port ${options.port} is already in use: pick another with --port N (or 0 for any free port).`,
            )
          : error,
      ),
    );
    server.listen(options.port ?? 0, host, resolve);
  }).catch(async (error: unknown) => {
    await Promise.all(opened.map((store) => store.close().catch(() => undefined)));
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  localHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const origin = `http://${shownHost}:${port}`;
  return {
    url: access.token ? `${origin}/?token=${access.token}` : `${origin}/`,
    origin,
    token: access.token,
    port,
    close: async () => {
      server.closeAllConnections();
      await context.live.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(opened.map((store) => store.close().catch(() => undefined)));
    },
  };
}

async function respond(
  context: ApiContext,
  access: AccessToken,
  localHosts: string[],
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  const url = new URL(request.url ?? '/', 'http://board.invalid');
  try {
    if (!access.admit(request, response, url, localHosts)) return;
    if (url.pathname.startsWith('/api/')) {
      await handleApi(context, url, request, response);
      return;
    }
    if (request.method === 'GET' && serveAsset(url.pathname, response)) return;
    throw new HttpError(404, `Nothing at ${url.pathname}: the board's pages are under / (open it there).`);
  } catch (error) {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const status = error instanceof HttpError ? error.status : error instanceof UsageError ? 400 : 500;
    const message =
      error instanceof HttpError || error instanceof RitualError
        ? error.message
        : `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    json(
      response,
      {
        error: message,
        ...(error instanceof HttpError && error.position !== undefined ? { position: error.position } : {}),
      },
      status,
    );
  }
}
