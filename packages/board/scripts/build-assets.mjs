// Bundles the board's UI (ui/main.tsx: Preact components, uPlot charts, their CSS) into dist/assets with
// esbuild at build time: the package ships the bundle and serves it itself; nothing comes from a CDN.
import { copyFile, mkdir } from 'node:fs/promises';
import { build } from 'esbuild';

const root = new URL('../', import.meta.url);
const out = new URL('dist/assets/', root);
await mkdir(out, { recursive: true });
await build({
  entryPoints: { app: new URL('ui/main.tsx', root).pathname },
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out.pathname,
  logLevel: 'warning',
});
await copyFile(new URL('ui/index.html', root), new URL('index.html', out));
