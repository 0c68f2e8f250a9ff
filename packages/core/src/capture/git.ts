import { statSync } from 'node:fs';
import path from 'node:path';
import type { RepositoryInfo, SourceFile } from '../run/run-record.js';
import { runGit } from './git-command.js';
import { remoteListing } from './remote-listing.js';
import { errorMessage } from '../error-message.js';

/**
 * Git state of the repositories that hold the sources, from the git binary
 * (see git-command.ts): `{url, commit, dirty}` once per repository (Sacred
 * repeats it per file).
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
 * one remote listing per repository: capture asks git as little as possible
 * (the remote listing is reused while the config is unchanged:
 * remote-listing.ts), and git runs in the process's shell rather than in a
 * fork of this process (git-coprocess.ts).
 */
async function snapshotRepository(root: string): Promise<RepositorySnapshot> {
  const [status, remotesText] = await Promise.all([
    runGit(root, ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', '--ignored=matching']),
    remoteListing(root),
  ]);
  const remotes = parseRemotes(remotesText);
  const remote =
    remotes.find((r) => r.name === 'origin') ?? [...remotes].sort((a, b) => a.name.localeCompare(b.name))[0];
  const url = remote === undefined ? NO_REMOTE : stripCredentials(remote.fetch || remote.push);
  return { root, url, ...parseStatus(root, status) };
}

interface Remote {
  name: string;
  fetch: string;
  push: string;
}

/**
 * Parse `git remote -v` (`name<TAB>url (fetch|push)` per line), in remote
 * order; a later line of the same purpose wins. Its urls, unlike the raw
 * `remote.<name>.url` config, have `url.<base>.insteadOf` applied: that is
 * why capture asks git rather than reading .git/config. A url may contain
 * spaces (a local path), so only the first word is the name and only a
 * final `(fetch)`/`(push)` the purpose.
 */
export function parseRemotes(output: string): Remote[] {
  const remotes = new Map<string, Remote>();
  for (const line of output.split('\n').map((text) => text.trim())) {
    const match = /^(\S+)\s*(.*?)(?:\s*\((fetch|push)\))?$/.exec(line);
    if (match === null) continue;
    const [, name = '', url = '', purpose] = match;
    const remote = remotes.get(name) ?? { name, fetch: '', push: '' };
    remotes.set(name, remote);
    if (purpose !== undefined && url !== '') remote[purpose as 'fetch' | 'push'] = url;
  }
  return [...remotes.values()];
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
  return {
    info: { url: snapshot.url, commit: snapshot.commit, dirty: dirtyFiles.length > 0 },
    dirtyFiles: [...new Set(dirtyFiles)].sort(),
  };
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
      const message = errorMessage(result.reason);
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
