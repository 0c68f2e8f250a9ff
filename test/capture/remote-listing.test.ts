/**
 * The remote listing is asked of git once per process while the config is
 * unchanged (each git process is a fork of a possibly large process), and
 * asked again as soon as anything it depends on changes.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { captureRepositories } from '../../packages/core/src/capture/git.js';
import { forgetRemoteListings, remoteListing } from '../../packages/core/src/capture/remote-listing.js';
import { git, tempDir, writeTree } from './fixture-tree.js';

function makeRepo(prefix: string): string {
  const root = tempDir(prefix);
  writeTree(root, { 'main.js': 'x' });
  git(root, 'init', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'init');
  return root;
}

async function recordedUrl(root: string): Promise<string | undefined> {
  const source = { relativePath: 'main.js', absolutePath: path.join(root, 'main.js'), md5: '0' };
  return (await captureRepositories([source])).repositories[0]?.url;
}

afterEach(() => {
  forgetRemoteListings();
  delete process.env.GIT_CONFIG_GLOBAL;
});

test('an unchanged config: the second run reuses the first listing (no second git process)', async () => {
  const root = makeRepo('remote-reuse');
  git(root, 'remote', 'add', 'origin', 'https://example.com/a.git');
  writeFileSync(path.join(root, 'main.js'), 'changed'); // so that git status has an index to refresh
  assert.equal(await recordedUrl(root), 'https://example.com/a.git');
  const first = remoteListing(root);
  // A whole capture in between (git status, which may rewrite the index through .git/index.lock) changes nothing.
  assert.equal(await recordedUrl(root), 'https://example.com/a.git');
  assert.equal(remoteListing(root), first);
  assert.match(await first, /^origin\thttps:\/\/example\.com\/a\.git \(fetch\)$/m);
});

test('a remote changed between two runs of one process is recorded as changed', async () => {
  const root = makeRepo('remote-set-url');
  git(root, 'remote', 'add', 'origin', 'https://example.com/a.git');
  assert.equal(await recordedUrl(root), 'https://example.com/a.git');
  git(root, 'remote', 'set-url', 'origin', 'https://example.com/b.git');
  assert.equal(await recordedUrl(root), 'https://example.com/b.git');
  git(root, 'remote', 'remove', 'origin');
  assert.equal(await recordedUrl(root), '<no remote>');
});

test('a global insteadOf changed between two runs (GIT_CONFIG_GLOBAL) is applied', async () => {
  const root = makeRepo('remote-global');
  const global = path.join(tempDir('remote-global-config'), 'gitconfig');
  writeFileSync(global, '');
  process.env.GIT_CONFIG_GLOBAL = global;
  git(root, 'remote', 'add', 'origin', 'ex:team/p.git');
  assert.equal(await recordedUrl(root), 'ex:team/p.git');
  writeFileSync(global, '[url "https://example.com/"]\n\tinsteadOf = ex:\n');
  assert.equal(await recordedUrl(root), 'https://example.com/team/p.git');
});

test('a linked worktree: a remote added through the main checkout is seen from the worktree', async () => {
  const root = makeRepo('remote-worktree');
  const worktree = path.join(tempDir('remote-worktree-linked'), 'wt');
  git(root, 'worktree', 'add', '-q', worktree);
  assert.equal(await recordedUrl(worktree), '<no remote>');
  git(root, 'remote', 'add', 'origin', 'https://example.com/w.git');
  assert.equal(await recordedUrl(worktree), 'https://example.com/w.git');
});
