/**
 * Compiles ritual and a ritual-side subject to plain JavaScript before they
 * are timed, laid out as in a user's installed app, so start-up measures what
 * a user runs (compiled code under `node`), not tsx transpiling TypeScript:
 *
 *   .cache/bench/node_modules/@ritual/core/*.mjs            packages/core/src: one file per export, shared chunks
 *   .cache/bench/node_modules/@ritual/observers/*.mjs       packages/observers/src, likewise
 *   .cache/bench/<subject>.mjs                              the subject (the user's script)
 *
 * Every other package (mingo, yaml, seedrandom, mongodb...) stays an import
 * resolved from the repository's node_modules at run time. Like an installed
 * package, ritual's code is under node_modules, so source capture sees only
 * the subject; and the folder is inside the repository (git-ignored), so the
 * subject sees the same git checkout as the Sacred script it is compared with.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT_DIR = join(REPO_ROOT, '.cache', 'bench');
const PACKAGES = ['core', 'observers'] as const;

/** Leave every bare import (npm packages, @ritual/* included, node: builtins) to node at run time. */
const bareImportsExternal: Plugin = {
  name: 'bare-imports-external',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => ({ path: args.path, external: true }));
  },
};

let packagesReady: Promise<void> | undefined;

/** Compile `bench/peers/ritual/<name>.ts` to `.cache/bench/<name>.mjs` (and ritual beside it, once); returns the output path. */
export async function bundleRitualSubject(entry: string): Promise<string> {
  packagesReady ??= Promise.all(PACKAGES.map(buildPackage)).then(() => undefined);
  await packagesReady;
  const outfile = join(OUT_DIR, `${basename(entry).replace(/\.ts$/, '')}.mjs`);
  await compile(entry, outfile);
  return outfile;
}

async function buildPackage(name: (typeof PACKAGES)[number]): Promise<void> {
  const source = join(REPO_ROOT, 'packages', name);
  const manifest = JSON.parse(await readFile(join(source, 'package.json'), 'utf8')) as PackageManifest;
  const target = join(OUT_DIR, 'node_modules', ...manifest.name.split('/'));
  // Each export ('.', './observer-kit') is its own entry, as in the published package, and code they
  // share is split into common chunks, so a class seen through two exports is one class (instanceof holds).
  const entries = Object.entries(manifest.exports).flatMap(([subpath, conditions]) => {
    const file = typeof conditions === 'object' ? conditions['@ritual/source'] : undefined;
    return file === undefined ? [] : [{ subpath, name: subpath === '.' ? 'index' : subpath.slice(2), file }];
  });
  const result = await build({
    entryPoints: entries.map(({ name: out, file }) => ({ in: join(source, file), out })),
    outdir: target,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    ...BUILD_OPTIONS,
  });
  await Promise.all(result.outputFiles.map((output) => writeAtomically(output.path, output.text)));
  const exports = Object.fromEntries(entries.map(({ subpath, name: out }) => [subpath, `./${out}.mjs`]));
  const packageJson = { name: manifest.name, version: manifest.version, type: 'module', exports };
  await writeAtomically(join(target, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
}

interface PackageManifest {
  name: string;
  version: string;
  exports: Record<string, string | Record<string, string>>;
}

const BUILD_OPTIONS = {
  bundle: true,
  write: false,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [bareImportsExternal] as Plugin[],
  logLevel: 'silent',
} as const;

async function compile(entry: string, outfile: string): Promise<void> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    ...BUILD_OPTIONS,
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error(`esbuild produced nothing for ${entry}`);
  await writeAtomically(outfile, output.text);
}

/** Another benchmark (or a concurrent smoke run) may be starting this very file: never let it see half of it. */
async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}
