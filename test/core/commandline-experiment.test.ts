// The command line end to end: a real experiment file run as a program,
// checking what the user sees (stdout, stderr, exit code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = join(root, 'test/fixtures/commandline/experiment.ts');

function cli(args: string[], env: Record<string, string> = { NO_COLOR: '1' }, file = fixture) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!('FORCE_COLOR' in env)) delete childEnv.FORCE_COLOR;
  const result = spawnSync(process.execPath, ['--conditions=@ritual/source', '--import', 'tsx', file, ...args], {
    cwd: root,
    env: childEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('print_config with updates, a named config and --force, without colour', () => {
  const { code, stdout, stderr } = cli(['print_config', 'with', 'lr=0.1', 'fast', 'model.extra=1', '-f', 'seed=5']);
  assert.equal(code, 0, stderr);
  assert.equal(
    stdout,
    [
      'Configuration (modified, added, typechanged):',
      '  batchSize = 250  # modified',
      '  epochs = 1  # modified',
      '  lr = 0.1  # modified',
      '  seed = 5  # modified',
      '  stepsPerEpoch = 4',
      '  model:',
      '    extra = 1  # added',
      '    hidden = 128',
      '',
    ].join('\n'),
  );
});

test('print_config in colour when forced; typechanged in red', () => {
  const { code, stdout } = cli(['print_config', 'with', 'lr=fast_please', '-f'], { FORCE_COLOR: '1' });
  assert.equal(code, 0);
  assert.ok(stdout.includes('\u001b[31mlr = "fast_please"\u001b[39m'), stdout);
});

test('user mistakes exit 2 with one message and no stack trace', () => {
  const cases: Array<[string[], RegExp]> = [
    [
      ['with', 'lrr=1'],
      /Added new config entry 'lrr' that is not used anywhere\. Did you mean 'lr'\? Use --force \(-f\) to add it anyway\./,
    ],
    [['bogus'], /Unknown command 'bogus'\. Available commands: .*print_config/],
    [['with', 'a..b=1'], /Malformed update 'a\.\.b=1'/],
    [['-C', 'xyz'], /--capture MODE expects one of no, sys, fd/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stdout, stderr } = cli(args);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, pattern);
    assert.equal(/\n\s+at /.test(stderr), false, `no stack trace for ${args.join(' ')}`);
    assert.equal(stdout.includes('RESULT'), false);
  }
});

test('an unobserved run gets the updated, derived config', () => {
  const { code, stdout, stderr } = cli(['-u', 'with', 'batchSize=100', 'msg=a=b', '--force']);
  assert.equal(code, 0, stderr);
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, stdout);
  const config = JSON.parse(line.slice('RESULT '.length));
  assert.equal(config.batchSize, 100);
  assert.equal(config.stepsPerEpoch, 10);
  assert.equal(config.msg, 'a=b');
  assert.equal(typeof config.seed, 'number');
});

test('importing the experiment file does not start a run', () => {
  const { code, stdout, stderr } = cli(
    [],
    { NO_COLOR: '1' },
    join(root, 'test/fixtures/commandline/experiment-importer.ts'),
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout.trim(), 'IMPORTED');
});
