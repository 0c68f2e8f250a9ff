import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { SimpleGit } from 'simple-git';
import type { RepositoryInfo, SourceFile } from '../run-record.js';

/**
 * Git state of the repositories that hold the sources, through simple-git:
 * `{url, commit, dirty}` once per repository (Sacred repeats it per file).
 *
 * - url: the remote `origin` (else the first remote by name) with
 *   credentials stripped; `NO_REMOTE` when the repository has no remote.
 * - dirty: any change to a tracked file (Sacred's `is_dirty()`), or a source
 *   file that git does not track (the commit cannot reproduce it). Untracked
 *   files that are not sources do not count, as in Sacred.
 * - No git binary, or sources outside any repository: the run proceeds and
 *   the result carries one warning.
 */

/** The url recorded for a repository without any remote: stable, and never a valid remote url. */
export const NO_REMOTE = '<no remote>';
/** The commit recorded for a repository whose HEAD has no commit yet. */
export const NO_COMMIT = '<no commit>';

// simple-git is the largest start-up cost of capture (measured here: about half
// a bare `node` start in CPU), so it is loaded on first use only, and through
// require: its CommonJS build loads ~20% faster than its ESM build.
let simpleGitModule: typeof import('simple-git') | undefined;
function gitAt(dir: string): SimpleGit {
  simpleGitModule ??= createRequire(import.meta.url)('simple-git') as typeof import('simple-git');
  return simpleGitModule.simpleGit({ baseDir: dir, maxConcurrentProcesses: 4 });
}

/**
 * The working-tree root holding `dir` (where `.git` is, a folder or a
 * worktree/submodule file), or null. Not cached: a folder may become a
 * repository between two runs of one process, and the walk costs microseconds.
 */
export function findRepositoryRoot(dir: string): string | null {
  for (let current = dir; ; current = path.dirname(current)) {
    if (statSync(path.join(current, '.git'), { throwIfNoEntry: false }) !== undefined) return current;
    if (path.dirname(current) === current) return null;
  }
}

function groupByRepository(files: readonly string[]): { byRoot: Map<string, string[]>; outside: string[] } {
  const byRoot = new Map<string, string[]>();
  const outside: string[] = [];
  for (const file of files) {
    const root = findRepositoryRoot(path.dirname(file));
    if (root === null) outside.push(file);
    else byRoot.set(root, [...(byRoot.get(root) ?? []), file]);
  }
  return { byRoot, outside };
}

/**
 * Remove credentials from a remote url: `https://user:token@host/x` →
 * `https://host/x` (tokens often sit in the user part, so both go), and the
 * query string of http(s) urls (`?access_token=`). ssh urls keep their user
 * (`git@host:x`), which is not a secret, but lose any password.
 */
export function stripCredentials(url: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url; // scp-like `git@host:path` or a local path
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
      parsed.username = '';
      parsed.search = '';
      parsed.hash = '';
    }
    parsed.password = '';
    return parsed.toString();
  } catch {
    // Not parseable as a URL: drop anything that looks like `user[:pass]@`.
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
  }
}

interface RepositorySnapshot {
  root: string;
  commit: string;
  url: string;
  /** Absolute paths of tracked files with changes (staged or not). */
  changed: string[];
  /** Absolute paths of untracked, not ignored, files. */
  untracked: Set<string>;
  /** Absolute paths git ignores; a folder ends with the path separator and covers everything below. */
  ignored: string[];
}

/** Parse `git status --porcelain=v2 --branch -z -uall --ignored=matching`. */
function parseStatus(root: string, output: string): Omit<RepositorySnapshot, 'root' | 'url'> {
  let commit = NO_COMMIT;
  const changed: string[] = [];
  const untracked = new Set<string>();
  const ignored: string[] = [];
  const entries = output.split('\0');
  for (let k = 0; k < entries.length; k++) {
    const entry = entries[k]!;
    const fields = entry.split(' ');
    if (entry.startsWith('# branch.oid ')) {
      const oid = fields[2] ?? '';
      if (/^[0-9a-f]{7,}$/.test(oid)) commit = oid;
    } else if (entry.startsWith('1 ')) {
      changed.push(path.resolve(root, fields.slice(8).join(' ')));
    } else if (entry.startsWith('2 ')) {
      changed.push(path.resolve(root, fields.slice(9).join(' ')));
      k++; // the rename's original path follows in its own entry
    } else if (entry.startsWith('u ')) {
      changed.push(path.resolve(root, fields.slice(10).join(' ')));
    } else if (entry.startsWith('? ')) {
      untracked.add(path.resolve(root, entry.slice(2)));
    } else if (entry.startsWith('! ')) {
      const target = entry.slice(2);
      ignored.push(path.resolve(root, target) + (target.endsWith('/') ? path.sep : ''));
    }
  }
  return { commit, changed, untracked, ignored };
}

/**
 * One `git status` (commit, changes, untracked and ignored files at once) and
 * one remote listing per repository, in parallel: each git process costs
 * ~10-20 ms to start here, so capture asks git as little as possible.
 */
async function snapshotRepository(root: string): Promise<RepositorySnapshot> {
  const git = gitAt(root);
  const [status, remotes] = await Promise.all([
    git.raw(['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', '--ignored=matching']),
    git.getRemotes(true),
  ]);
  const remote = remotes.find((r) => r.name === 'origin') ?? [...remotes].sort((a, b) => a.name.localeCompare(b.name))[0];
  const url = remote === undefined ? NO_REMOTE : stripCredentials(remote.refs.fetch || remote.refs.push);
  return { root, url, ...parseStatus(root, status) };
}

/**
 * Repository snapshots shared by the capture steps of one run, so sources
 * (ignored files) and repositories (dirty state) cost one `git status`
 * together. A new instance asks git again.
 */
export class GitSnapshots {
  private readonly byRoot = new Map<string, Promise<RepositorySnapshot>>();

  get(root: string): Promise<RepositorySnapshot> {
    let snapshot = this.byRoot.get(root);
    if (snapshot === undefined) {
      snapshot = snapshotRepository(root);
      snapshot.catch(() => {}); // failures are reported by whoever awaits it
      this.byRoot.set(root, snapshot);
    }
    return snapshot;
  }
}

function isIgnored(snapshot: RepositorySnapshot, file: string): boolean {
  return snapshot.ignored.some((entry) => (entry.endsWith(path.sep) ? file.startsWith(entry) : file === entry));
}

/** Absolute paths among `files` that git ignores; empty when git cannot tell (no git, no repository). */
export async function gitIgnoredFiles(files: readonly string[], snapshots = new GitSnapshots()): Promise<Set<string>> {
  const ignored = new Set<string>();
  const { byRoot } = groupByRepository(files);
  await Promise.all(
    [...byRoot].map(async ([root, inRepo]) => {
      try {
        const snapshot = await snapshots.get(root);
        for (const file of inRepo) if (isIgnored(snapshot, file)) ignored.add(file);
      } catch {
        // git missing or refusing: captureRepositories reports it once.
      }
    }),
  );
  return ignored;
}

async function captureRepository(
  root: string,
  sources: readonly string[],
  snapshots: GitSnapshots,
): Promise<{ info: RepositoryInfo; dirtyFiles: string[] }> {
  const snapshot = await snapshots.get(root);
  const dirtyFiles = [...snapshot.changed, ...sources.filter((file) => snapshot.untracked.has(file))];
  return { info: { url: snapshot.url, commit: snapshot.commit, dirty: dirtyFiles.length > 0 }, dirtyFiles: [...new Set(dirtyFiles)].sort() };
}

export async function captureRepositories(
  files: readonly SourceFile[],
  snapshots = new GitSnapshots(),
): Promise<{ repositories: RepositoryInfo[]; dirtyFiles: string[]; warning?: string }> {
  const { byRoot, outside } = groupByRepository(files.map((file) => file.absolutePath));
  const repositories: RepositoryInfo[] = [];
  const dirtyFiles: string[] = [];
  const problems: string[] = [];
  const roots = [...byRoot.keys()].sort();
  const results = await Promise.allSettled(roots.map((root) => captureRepository(root, byRoot.get(root)!, snapshots)));
  results.forEach((result, k) => {
    if (result.status === 'fulfilled') {
      repositories.push(result.value.info);
      dirtyFiles.push(...result.value.dirtyFiles);
    } else {
      const message = result.reason instanceof Error ? result.reason.message : String(result.reason);
      problems.push(
        /ENOENT/.test(message)
          ? 'git was not found on PATH, so the git state was not recorded; install git to record commits'
          : `git failed in ${roots[k]}: ${message.trim().split('\n')[0]}`,
      );
    }
  });
  if (outside.length > 0) {
    const shown = outside.slice(0, 3).join(', ') + (outside.length > 3 ? `, and ${outside.length - 3} more` : '');
    problems.push(`${outside.length} source file(s) are not in a git repository, so no commit records them: ${shown}`);
  }
  // Several repositories failing the same way (no git binary) say it once.
  const warning = [...new Set(problems)].join('; ');
  return warning === '' ? { repositories, dirtyFiles } : { repositories, dirtyFiles, warning };
}
