// `ritual board` as a user starts it: a child process that prints its URL once and serves until SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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
});
