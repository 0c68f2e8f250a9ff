import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runGit } from './git-command.js';

/**
 * `git remote -v` of a repository, asked once per process for as long as the
 * git config files it is computed from are unchanged.
 *
 * Why: every git process is a fork of this process, and a fork costs in
 * proportion to its memory. Measured with bench/run-start-cost.ts after a
 * tfjs-node training (386 MB resident): each spawn() call held the main thread
 * ~16 ms (~4 ms at 85 MB), and the two git processes were 30 of the 50 ms a
 * run took to start (git now runs in one shell per process, git-coprocess.ts,
 * so no command forks this process; the listing still saves a git run at
 * every start). The commit and the working tree's changes must be asked
 * at every run; the remote listing depends on nothing but the config files
 * (the remotes, and `url.<base>.insteadOf`, which may be set globally) and the
 * GIT_CONFIG* environment, so it is reused while their stamp (path, size,
 * mtime and inode of each file, the variables' values) is the same.
 *
 * Not in the stamp: files pulled in with `[include]`/`[includeIf]` and a
 * system config outside /etc (git built with another prefix). Changing those
 * while one process runs several runs keeps the previous url until a stamped
 * file changes.
 */

interface CachedListing {
  stamp: string;
  listing: Promise<string>;
}

const listings = new Map<string, CachedListing>();

export function remoteListing(root: string): Promise<string> {
  const stamp = configStamp(root);
  const cached = listings.get(root);
  if (cached !== undefined && cached.stamp === stamp) return cached.listing;
  const listing = runGit(root, ['remote', '-v']);
  listings.set(root, { stamp, listing });
  // A failure is the caller's to report, and must not be served to the next run.
  listing.catch(() => {
    if (listings.get(root)?.listing === listing) listings.delete(root);
  });
  return listing;
}

/** Forget every cached listing (tests). */
export function forgetRemoteListings(): void {
  listings.clear();
}

function configStamp(root: string): string {
  const files = [...repositoryConfigFiles(root), ...userConfigFiles()];
  const env = Object.keys(process.env)
    .filter((name) => name.startsWith('GIT_CONFIG') || name === 'HOME' || name === 'XDG_CONFIG_HOME')
    .sort()
    .map((name) => `${name}=${process.env[name]}`);
  return [...files.map(fileStamp), ...env].join('\n');
}

function fileStamp(file: string): string {
  const stat = statSync(file, { throwIfNoEntry: false, bigint: true });
  return stat === undefined ? `${file}:-` : `${file}:${stat.size}:${stat.mtimeNs}:${stat.ino}`;
}

/** The repository's own config: `.git/config`, or for a linked worktree its common dir's config and config.worktree. */
function repositoryConfigFiles(root: string): string[] {
  const dotGit = path.join(root, '.git');
  let gitDir = dotGit;
  // The `.git` of a linked worktree is a file naming its git dir. A `.git` folder is not stamped: its mtime
  // changes whenever `git status` refreshes the index (through index.lock), which says nothing about remotes.
  const pointerFile: string[] = [];
  try {
    if (statSync(dotGit).isFile()) {
      pointerFile.push(dotGit);
      const pointer = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'))?.[1];
      if (pointer !== undefined) gitDir = path.resolve(root, pointer);
    }
  } catch {
    // Unreadable: the stamp then changes with nothing but the files named below.
  }
  let commonDir = gitDir;
  try {
    commonDir = path.resolve(gitDir, readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim());
  } catch {
    // Not a linked worktree.
  }
  return [...pointerFile, path.join(commonDir, 'config'), path.join(gitDir, 'config.worktree')];
}

/** Global and system configs where git looks for them by default, and where GIT_CONFIG_GLOBAL/SYSTEM point. */
function userConfigFiles(): string[] {
  const home = process.env.HOME ?? os.homedir();
  const xdg = process.env.XDG_CONFIG_HOME || path.join(home, '.config');
  const named = [process.env.GIT_CONFIG_GLOBAL, process.env.GIT_CONFIG_SYSTEM].filter((f): f is string => !!f);
  return [path.join(xdg, 'git', 'config'), path.join(home, '.gitconfig'), '/etc/gitconfig', ...named];
}
