import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderConfig, renderHelp, shouldUseColor } from '../../packages/core/src/commandline/index.js';
import { resolveConfig } from '../../packages/core/src/config/index.js';
import { CommandLineError } from '../../packages/core/src/errors.js';

const BLUE = '\u001b[34m';
const GREEN = '\u001b[32m';
const RED = '\u001b[31m';
const RESET = '\u001b[39m';

function example() {
  return resolveConfig({
    entries: [
      {
        kind: 'object',
        value: { lr: 0.001, epochs: 3, name: 'mnist', list: [1, 2], model: { hidden: 128, act: 'relu' } },
      },
    ],
    namedConfigs: new Map(),
    requested: [],
    updates: { lr: 0.1, name: 5, extra: { on: true }, model: { hidden: 256 } },
    force: true,
    newSeed: () => 1234,
  });
}

test('print_config without colour: exact layout, marks as trailing comments, no ANSI codes', () => {
  const { config, summary } = example();
  const text = renderConfig(config, summary, { color: false });
  assert.equal(
    text,
    [
      'Configuration (modified, added, typechanged):',
      '  epochs = 3',
      '  list = [1, 2]',
      '  lr = 0.1  # modified',
      '  name = 5  # typechanged',
      '  seed = 1234',
      '  extra:  # added',
      '    on = true  # added',
      '  model:',
      '    act = "relu"',
      '    hidden = 256  # modified',
    ].join('\n'),
  );
  assert.equal(text.includes('\u001b'), false);
});

test('print_config with colour: modified blue, added green, typechanged red, legend coloured', () => {
  const { config, summary } = example();
  const lines = renderConfig(config, summary, { color: true }).split('\n');
  assert.equal(lines[0], `Configuration (${BLUE}modified${RESET}, ${GREEN}added${RESET}, ${RED}typechanged${RESET}):`);
  assert.ok(lines.includes(`  ${BLUE}lr = 0.1${RESET}`));
  assert.ok(lines.includes(`  ${RED}name = 5${RESET}`));
  assert.ok(lines.includes(`  ${GREEN}extra:${RESET}`));
  assert.ok(lines.includes(`    ${GREEN}on = true${RESET}`));
  assert.ok(lines.includes(`    ${BLUE}hidden = 256${RESET}`));
  assert.ok(lines.includes('  epochs = 3'), 'unchanged entries are not coloured');
  assert.ok(lines.includes('    act = "relu"'));
});

test('typechanged wins over the other marks', () => {
  const text = renderConfig({ a: 1 }, { modified: ['a'], added: ['a'], typechanged: ['a'] }, { color: true });
  assert.ok(text.includes(`${RED}a = 1${RESET}`));
  assert.equal(
    renderConfig({ a: 1 }, { modified: ['a'], added: ['a'], typechanged: [] }, { color: false }).split('\n')[1],
    '  a = 1  # modified',
  );
});

test('values are JSON-ish: strings quoted, nested arrays/objects inline, empty objects as {}', () => {
  const text = renderConfig(
    { s: 'a "q"', n: null, arr: [{ k: 'v' }, [true]], empty: {} },
    { modified: [], added: [], typechanged: [] },
    { color: false },
  );
  assert.ok(text.includes('  s = "a \\"q\\""'));
  assert.ok(text.includes('  n = null'));
  assert.ok(text.includes('  arr = [{"k": "v"}, [true]]'));
  assert.ok(text.includes('  empty = {}'));
});

const info = {
  experimentName: 'mnist',
  program: 'node train.js',
  commands: [
    {
      name: 'print_config',
      doc: 'Print the updated configuration and exit.\n\nLonger text only shown by help print_config.',
    },
    { name: 'train_more', doc: 'Continue training.' },
  ],
  namedConfigs: ['fast', 'big'],
  config: { lr: 0.001, model: { hidden: 128 }, seed: 1 },
};

test('help: usage, every flag, commands with their first paragraph, named configs, defaults', () => {
  const text = renderHelp(info);
  assert.match(text, /^mnist\n/);
  assert.match(text, /node train\.js \[with UPDATE\.\.\.\] \[options\]/);
  assert.match(text, /node train\.js COMMAND \[with UPDATE\.\.\.\] \[options\]/);
  assert.match(text, /node train\.js help \[COMMAND\]/);
  for (const flag of [
    '-F/--file_storage DIR',
    '-m/--mongo_db URL',
    '-n/--name NAME',
    '-c/--comment COMMENT',
    '-p/--print-config',
    '-u/--unobserved',
    '-q/--queue',
    '-f/--force',
    '-d/--debug',
    '-l/--loglevel LEVEL',
    '-e/--enforce_clean',
    '-b/--beat-interval SECONDS',
    '-C/--capture MODE',
    '-i/--id ID',
    '-P/--priority PRIORITY',
    '--timeout SECONDS',
    '-h/--help',
  ]) {
    assert.ok(text.includes(`  ${flag} `), `help lists ${flag}`);
  }
  assert.match(text, /\n {2}print_config +Print the updated configuration and exit\.\n/);
  assert.equal(text.includes('Longer text'), false);
  assert.match(text, /\n {2}train_more +Continue training\.\n/);
  assert.match(text, /\n {2}help +Show this help/);
  assert.match(text, /Named configs:\n {2}fast\n {2}big\n/);
  assert.match(text, /Configuration \(defaults\):\n {2}lr = 0\.001\n {2}seed = 1\n {2}model:\n {4}hidden = 128\n/);
  assert.match(text, /with seed=N/);
  assert.equal(text.includes('\u001b'), false);
  assert.match(renderHelp({ ...info, namedConfigs: [] }), /Named configs:\n {2}\(none\)/);
});

test('help COMMAND shows its usage and whole doc; unknown command lists the available ones', () => {
  const text = renderHelp(info, 'print_config');
  assert.equal(
    text,
    'Usage: node train.js print_config [with UPDATE...] [options]\n\nPrint the updated configuration and exit.\n\nLonger text only shown by help print_config.',
  );
  assert.match(renderHelp(info, 'help'), /^Usage: node train\.js help \[COMMAND\]/);
  assert.throws(
    () => renderHelp(info, 'nope'),
    (e: unknown) =>
      e instanceof CommandLineError &&
      /Unknown command 'nope'\. Available commands: print_config, train_more, help\./.test(e.message),
  );
});

test('shouldUseColor: NO_COLOR wins, FORCE_COLOR forces, otherwise only a non-dumb TTY', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  assert.equal(shouldUseColor(tty, {}), true);
  assert.equal(shouldUseColor(pipe, {}), false);
  assert.equal(shouldUseColor(tty, { TERM: 'dumb' }), false);
  assert.equal(shouldUseColor(tty, { NO_COLOR: '1' }), false);
  assert.equal(shouldUseColor(tty, { NO_COLOR: '' }), true, 'an empty NO_COLOR is ignored (no-color.org)');
  assert.equal(shouldUseColor(tty, { NO_COLOR: '1', FORCE_COLOR: '1' }), false);
  assert.equal(shouldUseColor(pipe, { FORCE_COLOR: '1' }), true);
  assert.equal(shouldUseColor(pipe, { FORCE_COLOR: '' }), true);
  assert.equal(shouldUseColor(tty, { FORCE_COLOR: '0' }), false);
  assert.equal(shouldUseColor(tty, { FORCE_COLOR: 'false' }), false);
  // The default environment is process.env.
  const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
  try {
    process.env.NO_COLOR = '1';
    assert.equal(shouldUseColor(tty), false);
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});
