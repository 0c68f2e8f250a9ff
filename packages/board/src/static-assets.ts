import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { BackendError } from '@ritual/core';

/** Built by `npm run build` (scripts/build-assets.mjs) into dist/assets, next to src/ and dist/ alike. */
export const ASSETS_DIR = fileURLToPath(new URL('../dist/assets/', import.meta.url));

/** The only files served: the bundle has a fixed set of names, so no path from a URL ever reaches the disk. */
const ASSETS: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/app.css': 'app.css',
};
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

export async function checkAssetsBuilt(): Promise<void> {
  try {
    await stat(`${ASSETS_DIR}index.html`);
  } catch (error) {
    throw new BackendError(
      `The board's web assets are missing from ${ASSETS_DIR}: run \`npm run build\` in the ritual workspace (or reinstall @ritual/board).`,
      { cause: error, code: 'RITUAL_BOARD_ASSETS_MISSING' },
    );
  }
}

/** Serve one asset; false when the path is not one (the caller answers 404). */
export function serveAsset(pathname: string, response: ServerResponse): boolean {
  const file = ASSETS[pathname];
  if (file === undefined) return false;
  response.writeHead(200, {
    'Content-Type': TYPES[file.split('.').pop() as string] ?? 'application/octet-stream',
    'Cache-Control': 'no-cache',
  });
  createReadStream(`${ASSETS_DIR}${file}`).pipe(response);
  return true;
}
