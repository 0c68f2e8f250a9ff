/**
 * Git through one shell per process (git-coprocess.ts): the same answers as
 * a git process per command, one fork of this process however many commands
 * run, and nothing lost or left behind when the shell dies or the process
 * ends.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GitCommandError, runGit } from '../../packages/core/src/capture/git-command.js';
import { gitShellPid } from '../../packages/core/src/capture/git-coprocess.js';
import { countingProcesses } from '../support/counting-processes.js';
import { git, tempDir, writeTree } from './fixture-tree.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STATUS = ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', '--ignored=matching'];

/** A repository whose folder and files have spaces, quotes, a newline and non-ASCII in their names. */
function awkwardRepo(): string {
  const root = path.join(tempDir("it's a repo"), 'with "quotes" & $dollars');
  writeTree(root, { 'main.js': 'one', 'plain.txt': 'x', '.gitignore': 'ignored/\n' });
  git(root, 'init', '-q');
  git(root, 'add', '.');
  git(root, 'commit', '-q', '-m', 'first');
  git(root, 'remote', 'add', 'origin', 'https://example.com/a b.git');
  writeTree(root, {
    'main.js': 'two',
    "new 'file'.js": '',
    'line\nbreak.js': '',
    'ünïcödé.js': '',
    'ignored/x.bin': '',
  });
  return root;
}

test('the shell answers exactly what a git process of its own prints, for awkward paths too', async () => {
  const root = awkwardRepo();
  const direct = execFileSync('git', STATUS, { cwd: root });
  assert.ok(direct.includes(Buffer.from('line\nbreak.js')), 'the fixture has a name with a newline');
  assert.equal(await runGit(root, STATUS), direct.toString('utf8'));
  assert.equal(
    await runGit(root, ['remote', '-v']),
    execFileSync('git', ['remote', '-v'], { cwd: root, encoding: 'utf8' }),
  );
  // Commands asked at once are answered each with its own output.
  const [status, remotes, head] = await Promise.all([
    runGit(root, STATUS),
    runGit(root, ['remote', '-v']),
    runGit(root, ['rev-parse', 'HEAD']),
  ]);
  assert.equal(status, direct.toString('utf8'));
  assert.match(remotes, /^origin\thttps:\/\/example\.com\/a b\.git \(fetch\)$/m);
  assert.match(head, /^[0-9a-f]{40}\n$/);
});

test('one process is started for many commands, and none once the shell runs', async () => {
  const root = awkwardRepo();
  await runGit(root, ['rev-parse', 'HEAD']); // the shell is up
  const { result, started } = await countingProcesses(async () => {
    for (let i = 0; i < 10; i++) await runGit(root, STATUS);
  });
  assert.equal(result.status, 'fulfilled');
  assert.deepEqual(started, []);
});

test('a failing command fails as before: git output in the message; a missing folder too', async () => {
  const root = awkwardRepo();
  await assert.rejects(runGit(root, ['rev-parse', 'no-such-ref']), (error: unknown) => {
    assert.ok(error instanceof GitCommandError);
    assert.match(error.message, /no-such-ref/);
    return true;
  });
  await assert.rejects(runGit(path.join(root, 'gone'), ['status']), GitCommandError);
  // The shell survives its commands' failures.
  assert.match(await runGit(root, ['rev-parse', 'HEAD']), /^[0-9a-f]{40}\n$/);
});

test('a shell killed between commands, or while one runs, costs no answer', async () => {
  const root = awkwardRepo();
  await runGit(root, ['rev-parse', 'HEAD']);
  const first = gitShellPid();
  assert.ok(first !== undefined);
  process.kill(first, 'SIGKILL');
  assert.equal(await runGit(root, STATUS), execFileSync('git', STATUS, { cwd: root, encoding: 'utf8' }));
  await runGit(root, ['rev-parse', 'HEAD']);
  const second = gitShellPid();
  assert.ok(second !== undefined && second !== first, 'a new shell serves');
  // Killed mid-command: the pending command is run another way.
  const pending = runGit(root, ['-c', 'alias.slow=!sleep 0.3; git rev-parse HEAD', 'slow']);
  setTimeout(() => process.kill(second, 'SIGKILL'), 50);
  assert.match(await pending, /^[0-9a-f]{40}\n$/);
});

test('a changed environment gets a new shell (PATH, GIT_CONFIG_*)', async () => {
  const root = awkwardRepo();
  await runGit(root, ['rev-parse', 'HEAD']);
  const before = gitShellPid();
  const global = path.join(tempDir('coprocess-global'), 'gitconfig');
  writeFileSync(global, '[url "https://mirror.example/"]\n\tinsteadOf = https://example.com/\n');
  process.env.GIT_CONFIG_GLOBAL = global;
  try {
    assert.match(await runGit(root, ['remote', '-v']), /https:\/\/mirror\.example\/a b\.git/);
    assert.notEqual(gitShellPid(), before);
  } finally {
    delete process.env.GIT_CONFIG_GLOBAL;
  }
});

test('a process that asked git exits at once, and its shell with it', () => {
  const script = [
    "import { runGit } from './packages/core/src/capture/git-command.ts';",
    "import { gitShellPid } from './packages/core/src/capture/git-coprocess.ts';",
    "await runGit(process.cwd(), ['rev-parse', 'HEAD']);",
    'console.log(gitShellPid());',
  ].join('\n');
  const started = performance.now();
  const out = execFileSync(
    process.execPath,
    ['--conditions=@ritual/source', '--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: ROOT, encoding: 'utf8', timeout: 20_000 },
  );
  const pid = Number(out.trim());
  assert.ok(Number.isInteger(pid) && pid > 0, out);
  assert.ok(performance.now() - started < 15_000, 'the idle shell did not hold the process');
  // Its stdin closed with the process: the shell exits within moments.
  const deadline = Date.now() + 5000;
  let alive = true;
  while (alive && Date.now() < deadline) {
    try {
      process.kill(pid, 0);
      execFileSync('sleep', ['0.05']);
    } catch {
      alive = false;
    }
  }
  assert.equal(alive, false, `shell ${pid} outlived its process`);
});
