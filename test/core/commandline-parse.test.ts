import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine } from '../../packages/core/src/commandline/index.js';
import { CommandLineError } from '../../packages/core/src/errors.js';

const COMMANDS = ['print_config', 'print_dependencies', 'save_config', 'print_named_configs', 'train_more'];
const parse = (...argv: string[]) => parseCommandLine(argv, COMMANDS);

function fails(argv: string[], pattern: RegExp) {
  assert.throws(
    () => parseCommandLine(argv, COMMANDS),
    (e: unknown) => {
      assert.ok(e instanceof CommandLineError, `expected CommandLineError for ${argv.join(' ')}, got ${String(e)}`);
      assert.equal(e.code, 'RITUAL_COMMAND_LINE');
      assert.match(e.message, pattern);
      return true;
    },
  );
}

test('no arguments: main with defaults', () => {
  const parsed = parse();
  assert.equal(parsed.command, null);
  assert.deepEqual(parsed.commandArgs, []);
  assert.deepEqual(parsed.updates, {});
  assert.deepEqual(parsed.requested, []);
  assert.deepEqual(parsed.options, {
    printConfig: false,
    unobserved: false,
    queue: false,
    force: false,
    debug: false,
    enforceClean: false,
    beatInterval: 10,
    capture: 'sys',
    multirun: false,
    minimize: false,
    wait: false,
    strict: false,
    help: false,
  });
  assert.equal(parsed.metaOptions.COMMAND, null);
  assert.deepEqual(parsed.metaOptions.UPDATE, []);
  assert.equal(parsed.metaOptions.with, false);
  assert.equal(parsed.metaOptions['--file_storage'], null);
  assert.equal(parsed.metaOptions['--force'], false);
});

test('command, updates, dotted paths, named configs and files, in order', () => {
  const parsed = parse(
    'print_config',
    'with',
    'lr=0.01',
    'model.hidden=256',
    'fast',
    'model.act=relu',
    'conf/big.yaml',
    'tags=[a, b]',
  );
  assert.equal(parsed.command, 'print_config');
  assert.deepEqual(parsed.updates, { lr: 0.01, model: { hidden: 256, act: 'relu' }, tags: ['a', 'b'] });
  assert.deepEqual(parsed.requested, ['fast', 'conf/big.yaml']);
  assert.equal(parsed.metaOptions.COMMAND, 'print_config');
  assert.equal(parsed.metaOptions.with, true);
  assert.deepEqual(parsed.metaOptions.UPDATE, [
    'lr=0.01',
    'model.hidden=256',
    'fast',
    'model.act=relu',
    'conf/big.yaml',
    'tags=[a, b]',
  ]);
});

test('= inside values, quoting, spaces, empty value', () => {
  const parsed = parse(
    'with',
    'msg=a=b',
    'name="quoted = text"',
    "greeting='hi there'",
    ' padded = 3 ',
    'empty=',
    'url=http://h/x?y=1',
  );
  assert.deepEqual(parsed.updates, {
    msg: 'a=b',
    name: 'quoted = text',
    greeting: 'hi there',
    padded: 3,
    empty: '',
    url: 'http://h/x?y=1',
  });
});

test('later updates win; objects given as values merge with dotted updates', () => {
  assert.deepEqual(parse('with', 'a=1', 'a=2').updates, { a: 2 });
  assert.deepEqual(parse('with', 'm={"x": 1}', 'm.y=2').updates, { m: { x: 1, y: 2 } });
  assert.deepEqual(parse('with', 'm.y=2', 'm={x: 1}').updates, { m: { x: 1, y: 2 } });
  assert.deepEqual(parse('with', 'm.y=2', 'm=3').updates, { m: 3 });
  assert.deepEqual(parse('with', 'm=3', 'm.y=2').updates, { m: { y: 2 } });
});

test('malformed updates name the token and the problem', () => {
  fails(['with', '=3'], /Malformed update '=3': there is no key before '='/);
  fails(['with', 'a.=1'], /Malformed update 'a\.=1': the key 'a\.' has an empty part/);
  fails(['with', '.a=1'], /Malformed update '\.a=1':.*empty part/);
  fails(['with', 'a..b=1'], /Malformed update 'a\.\.b=1':.*empty part/);
  fails(['with', '$a=1'], /Malformed update '\$a=1': the key '\$a' starts with '\$'/);
  fails(['with', 'm.$set=1'], /the key '\$set'/);
  fails(['with', 'x={"a.b": 1}'], /Malformed update 'x=\{"a\.b": 1\}'.*'a\.b' \(under 'x'\) contains '\.'/);
  fails(['with', 'x=[1, {$in: 2}]'], /'\$in' \(under 'x\.1'\) starts with '\$'/);
  fails(['with', ''], /Malformed update '': it is empty/);
  fails(['with', 'x={"__proto__": {"polluted": 1}}'], /__proto__.*prototype/);
  fails(['with', '__proto__.polluted=1'], /__proto__.*prototype/);
  fails(['with', 'a.__proto__=1'], /'__proto__' \(under 'a'\)/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  fails(['with', 'a=1', 'with', 'b=2'], /'with' appears twice/);
});

test('options anywhere: before the command, before and after with, mixed with updates', () => {
  const parsed = parse('-F', 'runs', 'print_config', '-u', 'with', 'lr=1', '--force', 'fast', '-b', '2.5');
  assert.equal(parsed.command, 'print_config');
  assert.deepEqual(parsed.updates, { lr: 1 });
  assert.deepEqual(parsed.requested, ['fast']);
  assert.equal(parsed.options.fileStorage, 'runs');
  assert.equal(parsed.options.unobserved, true);
  assert.equal(parsed.options.force, true);
  assert.equal(parsed.options.beatInterval, 2.5);
  assert.equal(parsed.metaOptions['--beat-interval'], '2.5');
  assert.equal(parsed.metaOptions['--file_storage'], 'runs');
});

test('every flag, short and long, both spellings', () => {
  const short = parse(
    '-F',
    'd',
    '-m',
    'mongodb://h/db',
    '-n',
    'nm',
    '-c',
    'a comment',
    '-p',
    '-u',
    '-q',
    '-f',
    '-d',
    '-l',
    'DEBUG',
    '-e',
    '-b',
    '3',
    '-C',
    'fd',
    '-i',
    '17',
    '-P',
    '-4',
    '-h',
    '--timeout',
    '60',
  );
  assert.deepEqual(short.options, {
    fileStorage: 'd',
    mongoDb: 'mongodb://h/db',
    name: 'nm',
    comment: 'a comment',
    printConfig: true,
    unobserved: true,
    queue: true,
    force: true,
    debug: true,
    loglevel: 'DEBUG',
    enforceClean: true,
    beatInterval: 3,
    capture: 'fd',
    id: '17',
    priority: -4,
    help: true,
    timeout: 60,
    multirun: false,
    minimize: false,
    wait: false,
    strict: false,
  });
  const long = parse(
    '--file_storage',
    'd',
    '--mongo_db=h:27017:db',
    '--name=nm',
    '--comment',
    'c',
    '--print-config',
    '--unobserved',
    '--queue',
    '--force',
    '--debug',
    '--loglevel=warning',
    '--enforce_clean',
    '--beat-interval=3',
    '--capture=no',
    '--id=x',
    '--priority=2',
    '--help',
  );
  assert.equal(long.options.fileStorage, 'd');
  assert.equal(long.options.mongoDb, 'h:27017:db');
  assert.equal(long.options.capture, 'no');
  assert.equal(long.options.priority, 2);
  assert.equal(long.options.loglevel, 'warning');
  assert.equal(long.options.enforceClean, true);
  assert.equal(long.options.printConfig, true);
  const other = parse(
    '--file-storage',
    'd2',
    '--mongo-db',
    'm',
    '--print_config',
    '--enforce-clean',
    '--beat_interval',
    '7',
  );
  assert.equal(other.options.fileStorage, 'd2');
  assert.equal(other.options.mongoDb, 'm');
  assert.equal(other.options.printConfig, true);
  assert.equal(other.options.enforceClean, true);
  assert.equal(other.options.beatInterval, 7);
  assert.equal(other.metaOptions['--file_storage'], 'd2', "meta.options uses Sacred's spelling");
  assert.equal(other.metaOptions['--print-config'], true);
});

test('a MongoDB password never reaches meta.options; the option keeps it to connect', () => {
  const parsed = parse('-m', 'mongodb://alice:s3cr%40t@db.example:27017/sacred?authSource=admin');
  assert.equal(parsed.options.mongoDb, 'mongodb://alice:s3cr%40t@db.example:27017/sacred?authSource=admin');
  assert.equal(parsed.metaOptions['--mongo_db'], 'mongodb://alice:***@db.example:27017/sacred?authSource=admin');
  assert.equal(JSON.stringify(parsed.metaOptions).includes('s3cr'), false);
  assert.equal(
    parse('--mongo_db=mongodb+srv://bob:pw@cluster0/x').metaOptions['--mongo_db'],
    'mongodb+srv://bob:***@cluster0/x',
  );
  assert.equal(parse('-m', 'localhost:27017:sacred').metaOptions['--mongo_db'], 'localhost:27017:sacred');
  assert.equal(parse('-m', 'mongodb://h1:1,h2:2/db').metaOptions['--mongo_db'], 'mongodb://h1:1,h2:2/db');
});

test('grouped and attached short flags; repeated flags: the last wins', () => {
  const parsed = parse('-pufFruns', '-b5', '-b', '6');
  assert.equal(parsed.options.printConfig, true);
  assert.equal(parsed.options.unobserved, true);
  assert.equal(parsed.options.force, true);
  assert.equal(parsed.options.fileStorage, 'runs');
  assert.equal(parsed.options.beatInterval, 6);
  const equals = parse('-b=5', '-F=runs');
  assert.equal(equals.options.beatInterval, 5);
  assert.equal(equals.options.fileStorage, 'runs');
  assert.equal(equals.metaOptions['--beat-interval'], '5');
});

test('bad flag values say what is expected', () => {
  fails(['-b', 'abc'], /-b\/--beat-interval SECONDS expects a number of seconds greater than 0.*got "abc"/);
  fails(['-b', '0'], /greater than 0/);
  fails(['--beat-interval='], /greater than 0/);
  fails(['-C', 'xyz'], /--capture MODE expects one of no, sys, fd; got "xyz"/);
  fails(['-P', 'x'], /--priority PRIORITY expects an integer/);
  fails(['-P', '1.5'], /an integer/);
  fails(['--timeout', '-3'], /--timeout SECONDS expects a number of seconds greater than 0.*got "-3"/);
  fails(['--timeout', '-u'], /--timeout SECONDS needs a value but is followed by '-u'/);
  fails(['--timeout=-3'], /--timeout SECONDS expects a number of seconds greater than 0/);
  fails(['-l', 'loud'], /--loglevel LEVEL expects one of DEBUG, INFO/);
  fails(['-F'], /-F\/--file_storage DIR needs a value/);
  fails(['-F', '--force'], /needs a value but is followed by '--force'.*--file_storage=--force/);
  fails(['--force=yes'], /takes no value/);
  fails(['--file_storage='], /--file_storage DIR expects a folder path/);
  fails(['-m', ''], /--mongo_db URL expects a MongoDB URL/);
  fails(['--id='], /expects a run id/);
});

test('unknown options get a suggestion', () => {
  fails(['--forse'], /Unknown option '--forse'\. Did you mean '--force'\?/);
  fails(['--file_storag', 'x'], /Did you mean '--file_storage'/);
  fails(['--zzzzzzzzzzz'], /Unknown option '--zzzzzzzzzzz'\. Run with --help/);
  fails(['-x'], /Unknown option '-x'/);
  fails(['-force'], /Long options take two dashes: '--force'/);
});

test('unknown commands list the available ones; a forgotten with is pointed out', () => {
  fails(
    ['trian'],
    /Unknown command 'trian'\..*Available commands: print_config, print_dependencies, save_config, print_named_configs, train_more, help\./,
  );
  fails(['print_confg'], /Did you mean 'print_config'\?/);
  fails(['lr=0.1'], /Config updates go after `with`: with lr=0\.1/);
  fails(
    ['print_config', 'lr=1'],
    /Unexpected 'lr=1' after the command print_config\. Config updates go after `with`: print_config with lr=1/,
  );
});

test('help and help COMMAND; -h/--help as a flag', () => {
  const help = parse('help');
  assert.equal(help.command, 'help');
  assert.deepEqual(help.commandArgs, []);
  assert.equal(help.metaOptions.help, true);
  const topic = parse('help', 'print_config');
  assert.equal(topic.command, 'help');
  assert.deepEqual(topic.commandArgs, ['print_config']);
  assert.deepEqual(parse('help', 'help').commandArgs, ['help']);
  fails(['help', 'nope'], /Unknown command 'nope'/);
  fails(['help', 'a', 'b'], /at most one command/);
  assert.equal(parse('-h').options.help, true);
  assert.equal(parse('print_config', '--help').options.help, true);
  assert.equal(parseCommandLine(['help'], ['help', 'x']).command, 'help');
});

test('commands take words before with: save_config FILE', () => {
  const parsed = parse('save_config', 'out.yaml', '-u', 'with', 'lr=1');
  assert.equal(parsed.command, 'save_config');
  assert.deepEqual(parsed.commandArgs, ['out.yaml']);
  assert.deepEqual(parsed.updates, { lr: 1 });
  assert.deepEqual(parse('train_more', 'a', 'b').commandArgs, ['a', 'b']);
});

test('no seed flag: the seed is an update', () => {
  assert.deepEqual(parse('with', 'seed=42').updates, { seed: 42 });
  fails(['--seed', '3'], /Unknown option '--seed'/);
});

test('after --, words are positionals (an update may start with a dash)', () => {
  const parsed = parse('-u', 'with', 'a=1', '--', '-weird=2');
  assert.deepEqual(parsed.updates, { a: 1, '-weird': 2 });
  assert.equal(parsed.options.unobserved, true);
});

test("sweep flags: parsed, kept out of the runs' argv with the `with` words, refused without -M", () => {
  const parsed = parse(
    'train_more',
    '-Mu',
    '--samples',
    '4',
    '--sweep-seed=9',
    'with',
    'lr=0.1,0.2',
    'fast',
    '--jobs',
    '2',
    '--sweep-metric',
    'val.loss',
    '--minimize',
    '-F',
    'runs',
  );
  assert.equal(parsed.options.multirun, true);
  assert.equal(parsed.options.unobserved, true);
  assert.equal(parsed.options.samples, 4);
  assert.equal(parsed.options.sweepSeed, 9);
  assert.equal(parsed.options.jobs, 2);
  assert.equal(parsed.options.sweepMetric, 'val.loss');
  assert.equal(parsed.options.minimize, true);
  // Under -M the values are axes, read by the sweep grammar, not updates.
  assert.deepEqual(parsed.updates, {});
  assert.deepEqual(parsed.metaOptions.UPDATE, ['lr=0.1,0.2', 'fast']);
  assert.deepEqual(parsed.runArgv, ['train_more', '-u', '-F', 'runs']);
  fails(['--samples', '3'], /Option --samples N sweeps; add -M \(--multirun\)/);
  fails(['-M', '--jobs', '0'], /--jobs N expects a whole number of at least 1/);
});
