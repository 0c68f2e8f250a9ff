/**
 * Compiles a ritual-side subject to plain JavaScript before it is timed, so
 * that start-up measures what a user runs (compiled code under `node`), not
 * tsx transpiling TypeScript on the fly.
 *
 * The subject and ritual's own sources (@ritual/*, resolved to src through the
 * `source` condition) are bundled into one file; every other package stays an
 * import resolved from node_modules at run time, as in an installed app.
 * The bundle is written under .cache/bench inside the repository, so the
 * subject sees the same git checkout as the Sacred script it is compared with.
 */
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT_DIR = join(REPO_ROOT, '.cache', 'bench');

/** Bundle @ritual/* from source; leave every other bare import to node. */
const ritualFromSource: Plugin = {
  name: 'ritual-from-source',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path === '@ritual/core' || args.path === '@ritual/observers') return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** Compile `bench/peers/ritual/<name>.ts` to `.cache/bench/<name>.mjs`; returns the output path. */
export async function bundleRitualSubject(entry: string): Promise<string> {
  await mkdir(OUT_DIR, { recursive: true });
  const outfile = join(OUT_DIR, `${basename(entry).replace(/\.ts$/, '')}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['source'],
    plugins: [ritualFromSource],
    logLevel: 'silent',
    // Bundled CommonJS helpers (if any) need `require` in an ES module.
    banner: { js: "import { createRequire as __ritualCreateRequire } from 'node:module'; const require = __ritualCreateRequire(import.meta.url);" },
  });
  return outfile;
}
