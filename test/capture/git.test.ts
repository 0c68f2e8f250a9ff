import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  captureRepositories,
  NO_COMMIT,
  NO_REMOTE,
  parseRemotes,
  stripCredentials,
} from '../../packages/core/src/capture/git.js';
import type { SourceFile } from '../../packages/core/src/run/run-record.js';
import { git, tempDir, writeTree } from './fixture-tree.js';

function sourcesOf(root: string, ...files: string[]): SourceFile[] {
  return files.map((file) => ({ relativePath: file, absolutePath: path.join(root, file), md5: '0' }));
}

function makeRepo(prefix: string, files: Record<string, string>): { root: string; commit: string } {
  const root = tempDir(prefix);
  writeTree(root, files);
  git(root, 'init', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'init');
  return { root, commit: git(root, 'rev-parse', 'HEAD').trim() };
}

test('a clean repository: commit, credentials stripped from the remote url, once per repository', async () => {
  const { root, commit } = makeRepo('git-clean', { 'main.js': 'x', 'lib/a.js': 'a', 'notes.txt': '' });
  git(root, 'remote', 'add', 'origin', 'https://alice:s3cret-token@example.com/team/project.git');
  const result = await captureRepositories(sourcesOf(root, 'main.js', 'lib/a.js'));
  assert.deepEqual(result.repositories, [{ url: 'https://example.com/team/project.git', commit, dirty: false }]);
  assert.deepEqual(result.dirtyFiles, []);
  assert.equal(result.warning, undefined);
  assert.ok(!JSON.stringify(result).includes('s3cret'), "!JSON.stringify(result).includes('s3cret')");
});

test('dirty: modified or staged tracked files, and untracked sources; untracked non-sources do not count', async () => {
  const { root, commit } = makeRepo('git-dirty', { 'main.js': 'x', 'other.txt': 'o', 'staged.js': 's' });
  writeFileSync(path.join(root, 'scratch.txt'), 'not a source');
  const clean = await captureRepositories(sourcesOf(root, 'main.js'));
  assert.deepEqual(clean.repositories, [{ url: NO_REMOTE, commit, dirty: false }]);

  appendFileSync(path.join(root, 'other.txt'), 'changed'); // tracked, not a source: still dirty (Sacred's is_dirty)
  writeFileSync(path.join(root, 'staged.js'), 'changed');
  git(root, 'add', 'staged.js');
  writeFileSync(path.join(root, 'new-source.js'), 'untracked source');
  const dirty = await captureRepositories(sourcesOf(root, 'main.js', 'new-source.js'));
  assert.deepEqual(dirty.repositories, [{ url: NO_REMOTE, commit, dirty: true }]);
  assert.deepEqual(
    dirty.dirtyFiles,
    ['new-source.js', 'other.txt', 'staged.js'].map((f) => path.join(root, f)),
  );
});

test('several repositories are each recorded once; the origin remote wins over others', async () => {
  const one = makeRepo('git-one', { 'a.js': '', 'b.js': '' });
  const two = makeRepo('git-two', { 'c.js': '' });
  git(one.root, 'remote', 'add', 'upstream', 'https://example.com/upstream.git');
  git(one.root, 'remote', 'add', 'origin', 'git@example.com:me/one.git');
  git(two.root, 'remote', 'add', 'zeta', 'ssh://bob:pw@example.com/two.git');
  git(two.root, 'remote', 'add', 'alpha', 'https://example.com/alpha.git');
  const result = await captureRepositories([...sourcesOf(one.root, 'a.js', 'b.js'), ...sourcesOf(two.root, 'c.js')]);
  const byCommit = new Map(result.repositories.map((r) => [r.commit, r]));
  assert.equal(result.repositories.length, 2);
  assert.deepEqual(byCommit.get(one.commit), { url: 'git@example.com:me/one.git', commit: one.commit, dirty: false });
  assert.deepEqual(byCommit.get(two.commit), {
    url: 'https://example.com/alpha.git',
    commit: two.commit,
    dirty: false,
  });
});

test('a repository without commits records a placeholder commit and untracked sources as dirty', async () => {
  const root = tempDir('git-unborn');
  writeTree(root, { 'main.js': '' });
  git(root, 'init', '-q');
  const result = await captureRepositories(sourcesOf(root, 'main.js'));
  assert.deepEqual(result.repositories, [{ url: NO_REMOTE, commit: NO_COMMIT, dirty: true }]);
  assert.deepEqual(result.dirtyFiles, [path.join(root, 'main.js')]);
});

test('not a repository: no repositories and one warning, the run goes on', async () => {
  const root = tempDir('git-none');
  writeTree(root, { 'main.js': '', 'a.js': '', 'b.js': '', 'c.js': '', 'd.js': '' });
  const result = await captureRepositories(sourcesOf(root, 'main.js', 'a.js', 'b.js', 'c.js', 'd.js'));
  assert.deepEqual(result.repositories, []);
  assert.deepEqual(result.dirtyFiles, []);
  assert.match(result.warning ?? '', /5 source file\(s\) are not in a git repository/);
  assert.equal(result.warning?.split(';').length, 1);
});

test('no git binary: one warning, not one per repository', async () => {
  const one = makeRepo('git-nobin-1', { 'a.js': '' });
  const two = makeRepo('git-nobin-2', { 'b.js': '' });
  const savedPath = process.env['PATH'];
  process.env['PATH'] = tempDir('empty-path');
  try {
    const result = await captureRepositories([...sourcesOf(one.root, 'a.js'), ...sourcesOf(two.root, 'b.js')]);
    assert.deepEqual(result.repositories, []);
    assert.match(result.warning ?? '', /git was not found on PATH/);
    assert.equal(result.warning?.match(/git was not found/g)?.length, 1);
  } finally {
    process.env['PATH'] = savedPath;
  }
});

test('stripCredentials removes users, passwords and tokens but keeps ssh users', () => {
  assert.equal(stripCredentials('https://user:pass@github.com/org/repo.git'), 'https://github.com/org/repo.git');
  assert.equal(stripCredentials('https://ghp_TOKEN@github.com/org/repo.git'), 'https://github.com/org/repo.git');
  assert.equal(stripCredentials('http://host:8080/repo?access_token=abc#frag'), 'http://host:8080/repo');
  assert.equal(stripCredentials('ssh://git:pw@host/repo.git'), 'ssh://git@host/repo.git');
  assert.equal(stripCredentials('git@github.com:org/repo.git'), 'git@github.com:org/repo.git');
  assert.equal(stripCredentials('/srv/git/repo.git'), '/srv/git/repo.git');
  assert.equal(stripCredentials('https://github.com/org/repo.git'), 'https://github.com/org/repo.git');
});

test('paths with spaces and non-ASCII names, renames and ignored sources are read correctly', async () => {
  const { root, commit } = makeRepo('git-names', {
    'my model.ts': 'x',
    'old name.js': 'o',
    'données.js': 'd',
    '.gitignore': 'ignored dir/\n',
  });
  writeFileSync(path.join(root, 'my model.ts'), 'changed');
  git(root, 'mv', 'old name.js', 'new name.js');
  writeFileSync(path.join(root, 'données 2.js'), 'untracked source');
  writeTree(root, { 'ignored dir/gen.js': '' });
  const result = await captureRepositories(
    sourcesOf(root, 'my model.ts', 'données.js', 'données 2.js', 'ignored dir/gen.js'),
  );
  assert.deepEqual(result.repositories, [{ url: NO_REMOTE, commit, dirty: true }]);
  // An ignored file passed explicitly as a source is untracked too, but git lists it as ignored, not untracked.
  assert.deepEqual(
    result.dirtyFiles,
    ['données 2.js', 'my model.ts', 'new name.js'].map((f) => path.join(root, f)).sort(),
  );
});

test('a folder that becomes a repository between two captures of one process is seen as one', async () => {
  const root = tempDir('git-later');
  writeTree(root, { 'main.js': '' });
  assert.deepEqual((await captureRepositories(sourcesOf(root, 'main.js'))).repositories, []);
  git(root, 'init', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'init');
  const commit = git(root, 'rev-parse', 'HEAD').trim();
  assert.deepEqual((await captureRepositories(sourcesOf(root, 'main.js'))).repositories, [
    { url: NO_REMOTE, commit, dirty: false },
  ]);
});

test('the remote url is the one git uses: url.<base>.insteadOf applied, a local path with spaces kept whole', async () => {
  const aliased = makeRepo('git-insteadof', { 'main.js': 'aliased' });
  git(aliased.root, 'config', 'url.https://example.com/.insteadOf', 'ex:');
  git(aliased.root, 'remote', 'add', 'origin', 'ex:team/project.git');
  const spaced = makeRepo('git-spaced-remote', { 'main.js': 'spaced' });
  git(spaced.root, 'remote', 'add', 'origin', '/srv/git repos/project.git');
  const result = await captureRepositories([
    ...sourcesOf(aliased.root, 'main.js'),
    ...sourcesOf(spaced.root, 'main.js'),
  ]);
  const byCommit = new Map(result.repositories.map((r) => [r.commit, r.url]));
  assert.equal(byCommit.get(aliased.commit), 'https://example.com/team/project.git');
  assert.equal(byCommit.get(spaced.commit), '/srv/git repos/project.git');
});

test('parseRemotes: name, fetch and push url per remote, in listing order', () => {
  const listing =
    'origin\tgit@host:a.git (fetch)\norigin\tgit@host:a-push.git (push)\nbare\t (fetch)\n\nlocal\t/x y/z (fetch)\n';
  assert.deepEqual(parseRemotes(listing), [
    { name: 'origin', fetch: 'git@host:a.git', push: 'git@host:a-push.git' },
    { name: 'bare', fetch: '', push: '' },
    { name: 'local', fetch: '/x y/z', push: '' },
  ]);
});

test("git refusing a repository: one warning naming the repository and git's own first line", async () => {
  const { root } = makeRepo('git-refused', { 'main.js': '' });
  writeFileSync(path.join(root, '.git', 'HEAD'), 'not a ref\n'); // git no longer recognises the repository
  const result = await captureRepositories(sourcesOf(root, 'main.js'));
  assert.deepEqual(result.repositories, []);
  assert.match(
    result.warning ?? '',
    new RegExp(`^git failed in ${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: fatal: `),
  );
});
