/**
 * A stored run's code, laid out again from the store (never from the working
 * tree): every stored source at its recorded path relative to the base dir,
 * in a scratch folder.
 *
 * Dependencies are resolved from the user's project, not installed: the
 * scratch folder gets a `node_modules` of links to what Node would resolve
 * from the project (nearest `node_modules` first, then each parent's, as
 * Node walks them). Installing the recorded versions instead would need the
 * registry (these machines, and many CI runners, cannot reach it), take
 * minutes for tfjs, and fail outright for tfjs-node, whose install downloads
 * libtensorflow; and a reproduction is usually asked of the project one works
 * in. So the versions the project has are checked against the recorded ones
 * (environment-check.ts) and every difference is printed; --strict refuses.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RitualError } from '@ritual/core';
import { STORED_FILE_MISSING, type RunStore, type StoredRun } from '@ritual/observers';
import { RebuildError } from './rebuild-error.js';

/** Main files that need a TypeScript loader (tsx) to run under node. */
const TYPESCRIPT = /\.(ts|mts|cts|tsx)$/;

export interface RebuiltCode {
  /** The scratch folder: the run's base dir, rebuilt. */
  dir: string;
  /** Whether ritual created `dir` (and may delete it afterwards). */
  created: boolean;
  mainFile: string;
  /** `--import tsx` for a TypeScript main file, nothing for JavaScript. */
  nodeArguments: string[];
  /** The project dependencies resolve from. */
  project: string;
  sources: number;
}

export interface RebuildOptions {
  /** Scratch folder to use (created if missing; must be empty). Default: a new temporary folder. */
  dir?: string;
  /** Where npm dependencies resolve from. Default: the recorded base dir if it exists here, else the cwd. */
  project?: string;
}

export async function rebuildCode(store: RunStore, run: StoredRun, options: RebuildOptions = {}): Promise<RebuiltCode> {
  refuseUnfinished(run);
  const { mainfile, sources } = run.experiment;
  if (sources.length === 0 || mainfile === null) {
    throw new RebuildError(
      `Run ${String(run._id)} recorded no sources${mainfile === null ? ' and no main file' : ''}, so its code ` +
        `cannot be rebuilt from the store.`,
    );
  }
  if (!sources.some(([relpath]) => relpath === mainfile)) {
    throw new RebuildError(
      `The main file ${mainfile} of run ${String(run._id)} is not among its stored sources; its code cannot be ` +
        `rebuilt from the store.`,
    );
  }
  const project = path.resolve(
    options.project ?? ((await isDirectory(run.experiment.base_dir)) ? run.experiment.base_dir : process.cwd()),
  );
  const { dir, created } = await scratchFolder(run, options.dir);
  for (const [relpath, copy] of sources) await restoreSource(store, run, dir, relpath, copy);
  if (!sources.some(([relpath]) => relpath === 'package.json')) await writeManifest(dir, project, run);
  await linkNodeModules(dir, project);
  const nodeArguments = TYPESCRIPT.test(mainfile) ? await typescriptLoader(dir, project, mainfile) : [];
  return { dir, created, mainFile: path.join(dir, mainfile), nodeArguments, project, sources: sources.length };
}

function refuseUnfinished(run: StoredRun): void {
  if (run.status === 'COMPLETED') return;
  const why =
    run.status === 'FAILED'
      ? `it FAILED${run.fail_trace?.length ? ` (${run.fail_trace.at(-1)!.trim()})` : ''}`
      : `its status is ${run.status}`;
  throw new RebuildError(
    `Run ${String(run._id)} cannot be reproduced: ${why}. Only a COMPLETED run has results to reproduce.`,
  );
}

async function scratchFolder(run: StoredRun, chosen: string | undefined): Promise<{ dir: string; created: boolean }> {
  if (chosen === undefined)
    return { dir: await mkdtemp(path.join(tmpdir(), `ritual-reproduce-${String(run._id)}-`)), created: true };
  const dir = path.resolve(chosen);
  const existed = await isDirectory(dir);
  if (existed && (await readdir(dir)).length > 0) {
    throw new RebuildError(
      `--in ${chosen} is not empty; name a new or empty folder, so that nothing in it is mistaken for the run's code.`,
    );
  }
  await mkdir(dir, { recursive: true });
  return { dir, created: true };
}

async function restoreSource(
  store: RunStore,
  run: StoredRun,
  dir: string,
  relpath: string,
  copy: string,
): Promise<void> {
  const target = path.resolve(dir, relpath);
  if (path.isAbsolute(relpath) || path.relative(dir, target).startsWith('..')) {
    throw new RebuildError(
      `Source ${JSON.stringify(relpath)} of run ${String(run._id)} lies outside its base dir; refusing to write it.`,
    );
  }
  let content;
  try {
    content = await store.openStoredFile(copy);
  } catch (error) {
    if (error instanceof RitualError && error.code === STORED_FILE_MISSING) {
      throw new RebuildError(
        `Source ${relpath} of run ${String(run._id)} is missing from ${store.location} (${copy}); the run's ` +
          `code cannot be rebuilt.`,
        { cause: error },
      );
    }
    throw error;
  }
  await mkdir(path.dirname(target), { recursive: true });
  await pipeline(content, createWriteStream(target));
}

/**
 * package.json is not a source (nothing imports it), but its `type` decides
 * whether `.js`/`.ts` files are ES modules: take it from the project.
 */
async function writeManifest(dir: string, project: string, run: StoredRun): Promise<void> {
  const manifest = await nearestManifest(project);
  const type = manifest?.type === 'module' || manifest?.type === 'commonjs' ? { type: manifest.type } : {};
  const content = { name: `reproduce-run-${String(run._id)}`, private: true, ...type };
  await writeFile(path.join(dir, 'package.json'), `${JSON.stringify(content, null, 2)}\n`);
}

async function nearestManifest(from: string): Promise<{ type?: unknown } | null> {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      return JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { type?: unknown };
    } catch {
      if (path.dirname(dir) === dir) return null;
    }
  }
}

/** Every package Node would resolve from `project`, linked into `dir/node_modules` (nearest copy wins). */
async function linkNodeModules(dir: string, project: string): Promise<void> {
  const target = path.join(dir, 'node_modules');
  await mkdir(target, { recursive: true });
  const linked = new Set<string>();
  for (let from = project; ; from = path.dirname(from)) {
    const modules = path.join(from, 'node_modules');
    for (const name of await packageNames(modules)) {
      if (linked.has(name)) continue;
      linked.add(name);
      await mkdir(path.dirname(path.join(target, name)), { recursive: true });
      await symlink(path.join(modules, name), path.join(target, name), 'junction');
    }
    if (path.dirname(from) === from) break;
  }
}

async function packageNames(modules: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(modules, { withFileTypes: true });
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (!entry.name.startsWith('@')) {
      names.push(entry.name);
      continue;
    }
    for (const scoped of await readdir(path.join(modules, entry.name)).catch(() => [] as string[]))
      names.push(`${entry.name}/${scoped}`);
  }
  return names;
}

async function typescriptLoader(dir: string, project: string, mainfile: string): Promise<string[]> {
  if (await isDirectory(path.join(dir, 'node_modules', 'tsx'))) return ['--import', 'tsx'];
  throw new RebuildError(
    `The main file ${mainfile} is TypeScript and tsx is not installed in ${project}: npm install --save-dev tsx ` +
      `there (or pass --project DIR).`,
  );
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
