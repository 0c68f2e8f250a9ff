/**
 * Bundle file-writer-child.ts into one plain .mjs (esbuild), so tests can
 * start many writer processes without paying TypeScript compilation in each.
 * `@ritual/core` is replaced by file-child-core.ts (the leaves the observer
 * uses); npm packages stay external and resolve from the repository's
 * node_modules, hence the output under `.cache/`.
 */
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, '..', '..');

export async function bundleWriterChild(): Promise<string> {
  const cache = join(REPO_ROOT, '.cache', 'test-bundles');
  await mkdir(cache, { recursive: true });
  const bundleDir = await mkdtemp(join(cache, 'file-writer-'));
  process.once('exit', () => rmSync(bundleDir, { recursive: true, force: true }));
  const outfile = join(bundleDir, 'file-writer-child.mjs');
  await build({
    entryPoints: [join(HERE, 'file-writer-child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    alias: {
      '@ritual/core': join(HERE, 'file-child-core.ts'),
      '@ritual/core/observer-kit': join(HERE, 'file-child-core.ts'),
    },
    logLevel: 'error',
  });
  return outfile;
}
