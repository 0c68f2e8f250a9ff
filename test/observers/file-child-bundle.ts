/**
 * Bundle file-writer-child.ts into one plain .mjs (esbuild), so tests can
 * start many writer processes without paying TypeScript compilation in each.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export async function bundleWriterChild(): Promise<string> {
  const outfile = join(await mkdtemp(join(tmpdir(), 'ritual-child-')), 'file-writer-child.mjs');
  await build({
    entryPoints: [join(dirname(fileURLToPath(import.meta.url)), 'file-writer-child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['source'],
    logLevel: 'error',
  });
  return outfile;
}
