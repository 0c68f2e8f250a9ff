import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import type { SourceFile } from '../run/run-record.js';
import { gitIgnoredFiles, GitSnapshots } from './git.js';
import { scanImports, type ImportSpecifier } from './import-scanner.js';
import { classifySpecifier, resolveFile, SCANNABLE_EXTENSIONS } from './module-resolution.js';

/**
 * The experiment's sources: the main file plus every local module it loads,
 * transitively, whatever the module system (see import-scanner.ts), plus the
 * files added explicitly. Local means inside the base dir and not under
 * node_modules; npm packages become dependencies instead (dependencies.ts).
 */

/**
 * The default base dir is the nearest folder holding a package.json above the
 * main file (its package root), else the main file's own folder.
 * Why not always the main file's folder (Sacred's choice): a script in `src/`
 * that imports `../lib/model.ts` would lose that file as outside the base dir.
 * The package root holds all of a package's own code and stops at the package
 * boundary, so a monorepo's sibling packages, reached through bare specifiers,
 * are recorded as dependencies rather than sources. A stray package.json in
 * the home folder or at `/` is not taken as the package root.
 */
export function defaultBaseDir(mainFile: string): string {
  const mainDir = path.dirname(toPath(mainFile));
  const stopAt = new Set([os.homedir(), path.parse(mainDir).root]);
  for (let dir = mainDir; !stopAt.has(dir); dir = path.dirname(dir)) {
    if (statSync(path.join(dir, 'package.json'), { throwIfNoEntry: false })?.isFile()) return dir;
    if (path.dirname(dir) === dir) break;
  }
  return mainDir;
}

function toPath(file: string): string {
  return path.resolve(file.startsWith('file:') ? fileURLToPath(file) : file);
}

/**
 * Secrets are never captured implicitly, even when something imports them:
 * dotenv files, private keys and key stores, credential files.
 */
const SECRET_FILE_PATTERNS = [
  /^\.env(\..*)?$/i,
  /\.env$/i,
  /\.(pem|key|p12|pfx|jks|keystore|ppk|asc|gpg)$/i,
  /^id_(rsa|dsa|ecdsa|ed25519)(\.pub)?$/i,
  /^\.(npmrc|netrc|pgpass|htpasswd)$/i,
  /^(credentials|secrets?)(\.[a-z]+)?$/i,
];

export function isSecretFile(file: string): boolean {
  const base = path.basename(file);
  return SECRET_FILE_PATTERNS.some((pattern) => pattern.test(base));
}

function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function isUnderNodeModules(file: string): boolean {
  return file.split(path.sep).includes('node_modules');
}

interface ScannedFile {
  md5: string;
  imports: ImportSpecifier[];
}

// What each source file imports, by absolute path, so dependencies.ts does not
// read and lex the same files again right after collectSources.
const scannedFiles = new Map<string, ScannedFile>();

// Hand-written modules are far smaller; a bigger file is a vendored bundle or
// generated code, still recorded as a source but not lexed (~0.2 s per 2 MB).
const MAX_SCANNED_BYTES = 1 << 20;

async function scanFile(file: string): Promise<ScannedFile> {
  const content = await readFile(file);
  const md5 = createHash('md5').update(content).digest('hex');
  const scannable = SCANNABLE_EXTENSIONS.has(path.extname(file).toLowerCase()) && content.length <= MAX_SCANNED_BYTES;
  const imports = scannable ? scanImports(content.toString('utf8')) : [];
  const scanned = { md5, imports };
  scannedFiles.set(file, scanned);
  return scanned;
}

/** The specifiers a captured source imports (read again only if it changed since capture). */
export async function importsOf(source: SourceFile): Promise<ImportSpecifier[]> {
  const cached = scannedFiles.get(source.absolutePath);
  if (cached !== undefined && cached.md5 === source.md5) return cached.imports;
  return (await scanFile(source.absolutePath)).imports;
}

/** `snapshots` lets a caller share one `git status` per repository with captureRepositories. */
export async function collectSources(
  options: { mainFile: string; baseDir: string; extraFiles: readonly string[] },
  snapshots = new GitSnapshots(),
): Promise<SourceFile[]> {
  const baseDir = path.resolve(options.baseDir);
  const mainFile = toPath(options.mainFile);
  if (!statSync(mainFile, { throwIfNoEntry: false })?.isFile()) {
    throw new UsageError(
      `The main file ${mainFile} does not exist; pass the path of the script that defines the experiment.`,
    );
  }
  const explicit = new Set<string>([mainFile]);
  for (const extra of options.extraFiles) {
    const file = toPath(extra);
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) {
      throw new UsageError(
        `Source file ${file} added with addSourceFile() does not exist; fix the path or remove the call.`,
      );
    }
    explicit.add(file);
  }

  // Breadth-first over the import graph, reading each wave of files in parallel.
  const found = new Map<string, ScannedFile>();
  let wave = [...explicit];
  const queued = new Set(wave);
  while (wave.length > 0) {
    const scanned = await Promise.all(wave.map(async (file) => [file, await scanFile(file)] as const));
    wave = [];
    for (const [file, result] of scanned) {
      found.set(file, result);
      for (const { specifier } of result.imports) {
        const target = classifySpecifier(specifier, file);
        if (target.type !== 'local') continue;
        const resolved = resolveFile(target.path);
        if (resolved === undefined || queued.has(resolved)) continue;
        if (!isInside(resolved, baseDir) || isUnderNodeModules(resolved)) continue;
        queued.add(resolved);
        wave.push(resolved);
      }
    }
  }

  // Imported files pass two filters that explicit ones skip: secrets and
  // files git ignores (generated code, local settings). Their imports were
  // still followed above, so a tracked module behind an ignored one is kept.
  const implicit = [...found.keys()].filter((file) => !explicit.has(file));
  const ignored = await gitIgnoredFiles(
    implicit.filter((file) => !isSecretFile(file)),
    snapshots,
  );
  const sources: SourceFile[] = [];
  for (const [file, { md5 }] of found) {
    if (!explicit.has(file) && (isSecretFile(file) || ignored.has(file))) continue;
    sources.push({ relativePath: path.relative(baseDir, file).split(path.sep).join('/'), absolutePath: file, md5 });
  }
  return sources.sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
}
