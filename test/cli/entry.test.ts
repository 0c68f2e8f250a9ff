// The real `ritual` entry in child processes: exit codes, stderr without
// stack traces, --debug, --help, and the default ./runs store.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURE_RUNS, runCli } from './run-cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = path.join(ROOT, 'packages/cli/src/ritual.ts');
const BUILT = path.join(ROOT, 'packages/cli/dist/ritual.js');

function ritual(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=@ritual/source', '--import', 'tsx', ENTRY, ...args],
      { cwd: options.cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1', ...options.env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

// Child processes wait mostly on startup: a few at once keep the file well under a minute.
describe('the ritual entry (child process)', { concurrency: 3 }, () => {
  it('lists runs, exit 0, reporting the corrupt run on stderr', async () => {
    const { code, stdout, stderr } = await ritual(['ls', FIXTURE_RUNS]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /│\s+1 │ mnist/);
    assert.match(stdout, /RUNNING\?/);
    assert.match(stderr, /skipped run 4/);
    assert.doesNotMatch(stdout, /\x1b\[/, 'no colours when stdout is not a TTY');
  });

  it('uses ./runs by default and takes a lone positional as the id (`ritual show 3`)', async () => {
    const cwd = path.dirname(FIXTURE_RUNS);
    const show = await ritual(['show', '3'], { cwd });
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^Run 3 {2}mnist-long/);
    // `npm run ritual -- show 3` runs from the workspace root but means the folder the user is in
    const viaNpm = await ritual(['show', '3'], { cwd: ROOT, env: { npm_lifecycle_event: 'ritual', INIT_CWD: cwd } });
    assert.equal(viaNpm.code, 0, viaNpm.stderr);
    assert.match(viaNpm.stdout, /^Run 3 {2}mnist-long/);
  });

  it('bad input: a clear message, non-zero exit, no stack trace', async () => {
    const cases: Array<[string[], number]> = [
      [['ls', FIXTURE_RUNS, '--where', 'config.lr <'], 2],
      // a corrupt run is the store's trouble, not a usage error
      [['show', FIXTURE_RUNS, '4'], 1],
    ];
    for (const [args, expected] of cases) {
      const { code, stderr } = await ritual(args);
      assert.equal(code, expected, args.join(' '));
      assert.match(stderr, /^ritual: /, args.join(' '));
      assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/, `no stack trace for ${args.join(' ')}:\n${stderr}`);
    }
  });

  it('--debug shows the stack trace', async () => {
    const { code, stderr } = await ritual(['--debug', 'show', FIXTURE_RUNS, '99']);
    assert.equal(code, 2);
    assert.match(stderr, /RunNotFoundError/);
    assert.match(stderr, /\n\s+at .+:\d+:\d+/);
  });

  it('an unknown command or option is a usage error with a suggestion', async () => {
    const unknown = await ritual(['lss']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'lss'/);
    assert.match(unknown.stderr, /Did you mean ls\?/);
  });

  it('--help helps: commands, and examples', async () => {
    const top = await ritual(['--help']);
    assert.equal(top.code, 0);
    for (const word of ['ls', 'show', 'compare', 'metrics', 'plot', 'Examples:', 'ritual show 3', 'mongodb://'])
      assert.ok(top.stdout.includes(word), word);
  });

  it('the installed bin (npx ritual) runs the built command', {
    skip: existsSync(BUILT) ? false : 'not built here: run npm run build',
  }, async () => {
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(ROOT, 'packages/cli/bin/ritual.js'), 'show', FIXTURE_RUNS, '2'],
        { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Run 2 {2}mnist {2}FAILED/);
  });
});

// The same front door in-process (cheaper than a child per case).
describe('ritual help and command-line mistakes (in-process)', () => {
  it('each command has help with examples', async () => {
    const ls = await runCli(['ls', '--help']);
    assert.equal(ls.code, 0);
    for (const word of [
      '--where',
      '--status',
      '--sort',
      '--columns',
      '--metrics',
      '--json',
      'config.lr < 0.01 and status = COMPLETED',
      'not exists',
      'Examples:',
    ])
      assert.ok(ls.stdout.includes(word), word);
    for (const command of ['show', 'compare', 'metrics', 'plot']) {
      const help = await runCli([command, '--help']);
      assert.equal(help.code, 0, command);
      assert.match(help.stdout, new RegExp(`Usage: ritual ${command} \\[STORE\\]`), command);
      assert.match(help.stdout, /Examples:\n {2}ritual /, command);
    }
  });

  it('no arguments prints the help and exits 2', async () => {
    const none = await runCli([]);
    assert.equal(none.code, 2);
    assert.match(none.stdout, /Usage: ritual/);
  });

  it('an unknown option is a usage error', async () => {
    const option = await runCli(['ls', '--wher', 'x']);
    assert.equal(option.code, 2);
    assert.match(option.stderr, /unknown option '--wher'/);
    assert.match(option.stderr, /Did you mean --where\?/);
  });
});
