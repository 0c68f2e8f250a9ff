// `ritual board` as a user starts it: a child process that prints its URL once and serves until SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FIXTURE_RUNS, runCli } from '../cli/run-cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = path.join(ROOT, 'packages/cli/src/ritual.ts');

describe('ritual board', () => {
  it('prints a URL with a token under --host, serves the runs with it, and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@ritual/source',
        '--import',
        'tsx',
        ENTRY,
        'board',
        FIXTURE_RUNS,
        '--port',
        '0',
        '--host',
        '127.0.0.1',
      ],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } },
    );
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      while (!/ritual board on (\S+)/.test(stdout) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const url = /ritual board on (\S+)/.exec(stdout)?.[1] ?? '';
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
      const origin = new URL(url).origin;
      assert.equal((await fetch(`${origin}/api/stores/0/runs`)).status, 401);
      const token = new URL(url).searchParams.get('token');
      const page = (await (await fetch(`${origin}/api/stores/0/runs?token=${token}`)).json()) as {
        rows: Array<{ id: number }>;
      };
      assert.deepEqual(
        page.rows.map((row: { id: number }) => row.id),
        [1, 2, 3],
      );
      assert.equal(stdout.split(token ?? '').length - 1, 1, 'the token is printed once');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });

  it('is listed in the help, and refuses a bad port with exit code 2', async () => {
    const help = await runCli(['--help']);
    assert.match(help.stdout, /board \[options\] \[stores\.\.\.\]/);
    const bad = await runCli(['board', FIXTURE_RUNS, '--port', 'eighty']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--port must be a port number from 0 to 65535, not "eighty"/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
  });

  /** `ritual board --open` with PATH set to `bin` only: what it prints, and its URL once printed. */
  async function boardWithOpener(bin: string, check: (url: string, output: () => string) => Promise<void>) {
    const child = spawn(
      process.execPath,
      ['--conditions=@ritual/source', '--import', 'tsx', ENTRY, 'board', FIXTURE_RUNS, '--port', '0', '--open'],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', PATH: bin } },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await until(() => /ritual board on (\S+)/.test(output), 30_000, 'the URL');
      const url = /ritual board on (\S+)/.exec(output)?.[1] ?? '';
      await check(url, () => output);
      // whatever the opener did, the board serves
      assert.equal((await fetch(`${url}api/stores/0/runs`)).status, 200);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  }

  it('--open hands the URL to the platform opener (xdg-open here)', {
    skip: process.platform !== 'linux',
  }, async () => {
    const bin = await mkdtemp(path.join(tmpdir(), 'ritual-opener-'));
    try {
      const record = path.join(bin, 'opened.txt');
      await writeFile(path.join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\n`);
      await chmod(path.join(bin, 'xdg-open'), 0o755);
      await boardWithOpener(bin, async (url) => {
        await until(async () => (await readFile(record, 'utf8').catch(() => '')).endsWith('\n'), 10_000, 'xdg-open');
        assert.equal(await readFile(record, 'utf8'), `${url}\n`);
      });
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });

  it('--open without a working opener says so in one line with the URL, and keeps serving', async () => {
    const bin = await mkdtemp(path.join(tmpdir(), 'ritual-opener-'));
    try {
      // no opener at all on PATH
      await boardWithOpener(bin, async (url, output) => {
        await until(() => /Could not open a browser/.test(output()), 10_000, 'the failure line');
        const line = output()
          .split('\n')
          .find((text) => text.startsWith('Could not open a browser'));
        assert.match(
          line ?? '',
          /^Could not open a browser \((xdg-open|open|cmd) is not installed\): open (\S+) yourself\.$/,
        );
        assert.equal(/open (\S+) yourself/.exec(line ?? '')?.[1], url);
        assert.doesNotMatch(output(), /\n\s+at /);
      });
      // an opener that fails
      await writeFile(path.join(bin, 'xdg-open'), '#!/bin/sh\nexit 3\n');
      await chmod(path.join(bin, 'xdg-open'), 0o755);
      if (process.platform === 'linux')
        await boardWithOpener(bin, async (url, output) => {
          await until(() => /Could not open a browser/.test(output()), 10_000, 'the failure line');
          assert.match(
            output(),
            new RegExp(
              `Could not open a browser \\(xdg-open exited with code 3\\): open ${url.replace(/[.?]/g, '\\$&')} yourself\\.`,
            ),
          );
        });
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
