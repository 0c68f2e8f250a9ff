import { statSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Resolves what a specifier found by the import scanner refers to, the way
 * node and tsx would load it, without loading anything:
 * - relative and absolute paths (and file: URLs) are local files; TypeScript
 *   run under tsx may write them extension-less or with a `.js` extension for
 *   a `.ts` file, so both are tried;
 * - bare specifiers are npm packages, located by Node's node_modules walk.
 */

/** Extensions tried for an extension-less specifier, in tsx's order of preference. */
const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.json'];
/** `./x.js` written in TypeScript may name `./x.ts` (and .mjs → .mts, .cjs → .cts). */
const TYPESCRIPT_TWINS: Record<string, string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};

/** Files whose imports the scanner can read. */
export const SCANNABLE_EXTENSIONS = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);

function isFile(file: string): boolean {
  return statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}
function isDirectory(dir: string): boolean {
  return statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

export type SpecifierTarget = { type: 'local'; path: string } | { type: 'package'; name: string } | { type: 'other' };

/** Classify a specifier without touching the file system. */
export function classifySpecifier(specifier: string, fromFile: string): SpecifierTarget {
  if (specifier.startsWith('file:')) {
    try {
      return { type: 'local', path: fileURLToPath(specifier) };
    } catch {
      return { type: 'other' };
    }
  }
  if (
    specifier === '.' ||
    specifier === '..' ||
    specifier.startsWith('./') ||
    specifier.startsWith('../') ||
    path.isAbsolute(specifier)
  ) {
    return { type: 'local', path: path.resolve(path.dirname(fromFile), specifier) };
  }
  // Builtins, `#internal` import maps, data:/http: URLs are not npm packages.
  if (isBuiltin(specifier) || specifier.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(specifier))
    return { type: 'other' };
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  // `@/x` and `@x` are path aliases (tsconfig paths, bundlers), not npm names.
  if (name === '' || (specifier.startsWith('@') && (parts.length < 2 || parts[0] === '@' || parts[1] === '')))
    return { type: 'other' };
  return { type: 'package', name };
}

function resolveDirectory(dir: string): string | undefined {
  const manifest = path.join(dir, 'package.json');
  if (isFile(manifest)) {
    try {
      const main = (JSON.parse(readFileSync(manifest, 'utf8')) as { main?: unknown }).main;
      if (typeof main === 'string') {
        const target = resolveFile(path.resolve(dir, main), false);
        if (target !== undefined) return target;
      }
    } catch {
      // An unreadable package.json falls through to index files, as node does.
    }
  }
  for (const ext of EXTENSIONS) {
    const candidate = path.join(dir, `index${ext}`);
    if (isFile(candidate)) return candidate;
  }
  return undefined;
}

/** The file a local path loads, or undefined when nothing matches. */
export function resolveFile(target: string, tryDirectory = true): string | undefined {
  if (isFile(target)) return target;
  const ext = path.extname(target);
  for (const twin of TYPESCRIPT_TWINS[ext] ?? []) {
    const candidate = target.slice(0, -ext.length) + twin;
    if (isFile(candidate)) return candidate;
  }
  for (const extension of EXTENSIONS) {
    if (isFile(target + extension)) return target + extension;
  }
  if (tryDirectory && isDirectory(target)) return resolveDirectory(target);
  return undefined;
}

/**
 * The version in the installed package.json of `name`, found by Node's
 * resolution walk from `fromFile` (nearest node_modules first). Reading the
 * manifest directly, rather than `require.resolve('x/package.json')`, also
 * works for packages whose `exports` hide their package.json. Not cached: a
 * package may be upgraded between two runs of one process.
 */
export function installedVersion(name: string, fromFile: string): string | undefined {
  for (let dir = path.dirname(fromFile); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'node_modules', name, 'package.json');
    if (isFile(manifest)) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown };
        return typeof parsed.version === 'string' ? parsed.version : undefined;
      } catch {
        return undefined;
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}
