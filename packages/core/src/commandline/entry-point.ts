/**
 * Is the calling file the program the user started? `ex.automain(import.meta,
 * fn)` must run only then, so that importing an experiment file (from a test,
 * another script) never starts a run.
 *
 * The answer compares the caller's file with `process.argv[1]`, which node,
 * tsx (`tsx x.ts`, `node --import tsx x.ts`) and ts-node all set to the
 * script's path. That path may lack its extension (`node train`), be a
 * symlink (npm's bin links; node runs the real file), or name a `.js` file
 * that tsx maps to its `.ts` source, so both sides are resolved to real
 * files before comparing. No import.meta here: this file must also work when
 * compiled to CommonJS.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What node would try after the path as given, in its order. */
const EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.tsx', '.jsx', '.json'];
const TS_TWINS: Record<string, string> = { '.js': '.ts', '.mjs': '.mts', '.cjs': '.cts', '.jsx': '.tsx' };

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function toPath(location: string): string | undefined {
  if (location.startsWith('file:')) return fileURLToPath(location);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return undefined; // data:, http: and friends are never the entry
  return location;
}

/** The caller's file: import.meta (filename or url), a CommonJS module, a path or a file URL. */
function callerFile(caller: unknown): string | undefined {
  if (typeof caller === 'string') return toPath(caller);
  if (caller === null || typeof caller !== 'object') return undefined;
  const { filename, url, id } = caller as { filename?: unknown; url?: unknown; id?: unknown };
  if (typeof filename === 'string') return filename;
  if (typeof url === 'string') return toPath(url);
  // A CommonJS module's id is its filename, except '.' for the main module.
  if (typeof id === 'string' && id !== '.') return id;
  return undefined;
}

/** The real file node started, or undefined (REPL, `node -e`). */
function entryFile(): string | undefined {
  const argv1 = process.argv[1];
  if (!argv1) return undefined;
  const base = resolve(argv1);
  const candidates = [
    base,
    ...EXTENSIONS.map((ext) => base + ext),
    ...EXTENSIONS.map((ext) => join(base, `index${ext}`)),
  ];
  const twin = TS_TWINS[extname(base)];
  if (twin) candidates.push(base.slice(0, -extname(base).length) + twin);
  const found = candidates.find(isFile);
  return found === undefined ? undefined : real(found);
}

/** True only when `caller` (import.meta, `module`, a path or file URL) is the process's entry point. */
export function isEntryPoint(caller: ImportMeta | { filename?: string; id?: string } | string): boolean {
  // CommonJS' own answer, `require.main === module`, when we are handed the module.
  const mainModule = (process as { mainModule?: unknown }).mainModule;
  if (mainModule !== undefined && caller === mainModule) return true;
  const file = callerFile(caller);
  if (file === undefined) return false;
  const entry = entryFile();
  if (entry === undefined) return false;
  return (existsSync(file) ? real(file) : resolve(file)) === entry;
}
