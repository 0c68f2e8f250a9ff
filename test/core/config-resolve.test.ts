import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, type ConfigEntry, type ResolveConfigInput } from '../../packages/core/src/config/index.js';
import { ConfigError, UsageError } from '../../packages/core/src/errors.js';

const obj = (value: Record<string, unknown>): ConfigEntry => ({ kind: 'object', value });
const fn = (f: (c: any) => Record<string, unknown>): ConfigEntry => ({ kind: 'function', fn: f });

function resolve(partial: Partial<ResolveConfigInput>) {
  return resolveConfig({
    entries: [],
    namedConfigs: new Map(),
    requested: [],
    updates: {},
    force: false,
    newSeed: () => 7,
    ...partial,
  });
}

const defaults = [obj({ lr: 0.001, epochs: 3, batchSize: 64, model: { hidden: 128, layers: 2 } })];

test('defaults alone give the declared config plus a drawn seed', () => {
  let calls = 0;
  const { config, summary, namedConfigs } = resolve({ entries: defaults, newSeed: () => ++calls * 1000 });
  assert.deepEqual(config, { lr: 0.001, epochs: 3, batchSize: 64, model: { hidden: 128, layers: 2 }, seed: 1000 });
  assert.equal(calls, 1);
  assert.deepEqual(summary, { modified: [], added: [], typechanged: [] });
  assert.deepEqual(namedConfigs, []);
});

test('a given seed is kept and newSeed is not called; seed is never a typo', () => {
  const fromDefaults = resolve({ entries: [obj({ seed: 5 })], newSeed: () => assert.fail('newSeed called') });
  assert.equal(fromDefaults.config.seed, 5);
  const fromUpdates = resolve({
    entries: defaults,
    updates: { seed: 99 },
    newSeed: () => assert.fail('newSeed called'),
  });
  assert.equal(fromUpdates.config.seed, 99);
  assert.deepEqual(fromUpdates.summary.modified, ['seed']);
  assert.deepEqual(fromUpdates.summary.added, []);
});

test('a seed that is not an integer is refused', () => {
  assert.throws(
    () => resolve({ updates: { seed: 'abc' } }),
    (e: unknown) => e instanceof ConfigError && e.path === 'seed' && /integer/.test(e.message),
  );
  assert.throws(() => resolve({ updates: { seed: 1.5 } }), ConfigError);
  assert.throws(() => resolve({ newSeed: () => Number.NaN }), ConfigError);
});

test('later declarations override earlier ones; objects merge', () => {
  const { config } = resolve({ entries: [obj({ a: 1, m: { x: 1, y: 1 } }), obj({ a: 2, m: { y: 2 } })] });
  assert.deepEqual(config, { a: 2, m: { x: 1, y: 2 }, seed: 7 });
});

test('updates win over defaults, dotted updates keep sibling keys', () => {
  const { config, summary } = resolve({ entries: defaults, updates: { lr: 0.01, model: { hidden: 256 } } });
  assert.equal(config.lr, 0.01);
  assert.deepEqual(config.model, { hidden: 256, layers: 2 });
  assert.deepEqual(summary.modified, ['lr', 'model.hidden']);
});

test('precedence: updates > later named config > earlier named config > defaults', () => {
  const namedConfigs = new Map([
    ['fast', obj({ epochs: 1, batchSize: 256 })],
    ['tiny', obj({ batchSize: 8, lr: 0.5 })],
  ]);
  const { config, namedConfigs: applied } = resolve({
    entries: defaults,
    namedConfigs,
    requested: ['fast', 'tiny'],
    updates: { lr: 0.2 },
  });
  assert.equal(config.epochs, 1); // fast over defaults
  assert.equal(config.batchSize, 8); // tiny (later) over fast
  assert.equal(config.lr, 0.2); // update over tiny
  assert.deepEqual(applied, ['fast', 'tiny']);
  const reversed = resolve({ entries: defaults, namedConfigs, requested: ['tiny', 'fast'] });
  assert.equal(reversed.config.batchSize, 256);
  assert.equal(reversed.config.lr, 0.5);
});

test('a config function sees earlier declarations with updates and named configs applied, and cannot override them', () => {
  const seen: unknown[] = [];
  const entries = [
    obj({ batchSize: 64, epochs: 3 }),
    fn((c) => {
      seen.push(structuredClone({ ...c }));
      return { stepsPerEpoch: Math.ceil(10000 / c.batchSize), epochs: 100 };
    }),
    obj({ late: true }),
  ];
  const namedConfigs = new Map([['fast', obj({ epochs: 1 })]]);
  const { config, summary } = resolve({ entries, namedConfigs, requested: ['fast'], updates: { batchSize: 1000 } });
  assert.deepEqual(seen, [{ batchSize: 1000, epochs: 1 }]);
  assert.equal(config.stepsPerEpoch, 10);
  assert.equal(config.epochs, 1, 'the function output must not override the named config');
  assert.equal(config.batchSize, 1000);
  assert.equal(config.late, true);
  assert.deepEqual(summary.modified, ['batchSize', 'epochs']);
});

test('a config function output overrides earlier defaults that are not fixed', () => {
  const { config } = resolve({ entries: [obj({ a: 1, b: 1 }), fn((c) => ({ a: c.a + 10 }))] });
  assert.equal(config.a, 11);
});

test('mutating the view a config function receives does not leak into the config', () => {
  const { config } = resolve({
    entries: [
      obj({ m: { x: 1 } }),
      fn((c) => {
        c.m.x = 99;
        c.y = 5;
        return {};
      }),
    ],
  });
  assert.deepEqual(config.m, { x: 1 });
  assert.equal('y' in config, false);
});

test('a named config function sees the defaults, the updates and earlier named configs', () => {
  let seen: any;
  const namedConfigs = new Map<string, ConfigEntry>([
    ['wide', obj({ model: { hidden: 512 } })],
    [
      'big',
      fn((c) => {
        seen = c;
        return { batchSize: c.batchSize * 4 };
      }),
    ],
  ]);
  const { config } = resolve({
    entries: defaults,
    namedConfigs,
    requested: ['wide', 'big'],
    updates: { batchSize: 10 },
  });
  assert.equal(seen.model.hidden, 512);
  assert.equal(seen.epochs, 3);
  assert.equal(seen.batchSize, 10);
  // The update still wins over the named function's output.
  assert.equal(config.batchSize, 10);
  const noUpdate = resolve({ entries: defaults, namedConfigs, requested: ['big'] });
  assert.equal(noUpdate.config.batchSize, 256);
});

test('config files in declaration order and as requested words (json and yaml)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-config-'));
  const json = join(dir, 'base.json');
  const yaml = join(dir, 'big.yaml');
  writeFileSync(json, JSON.stringify({ lr: 0.1, model: { hidden: 64 } }));
  writeFileSync(yaml, 'model:\n  hidden: 1024\nepochs: 9\nflag: yes\n');
  const { config, summary, namedConfigs } = resolve({
    entries: [...defaults, { kind: 'file', path: json }],
    requested: [yaml],
    updates: { epochs: 2 },
    // A requested file is an update like `with`: its new key needs --force.
    force: true,
  });
  assert.equal(config.lr, 0.1);
  assert.deepEqual(config.model, { hidden: 1024, layers: 2 });
  assert.equal(config.epochs, 2);
  assert.equal(config.flag, 'yes', 'YAML core schema: yes stays a string');
  assert.deepEqual(namedConfigs, [yaml]);
  assert.ok(summary.added.includes('flag'));
  assert.throws(
    () => resolve({ entries: defaults, requested: [yaml] }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message ===
        `Added new config entry 'flag' from config file '${yaml}' that is not used anywhere. ` +
          'Use --force (-f) to add it anyway.',
  );
});

test('unknown named config lists the available ones and suggests the closest', () => {
  const namedConfigs = new Map([
    ['fast', obj({ epochs: 1 })],
    ['slow', obj({ epochs: 9 })],
  ]);
  assert.throws(
    () => resolve({ entries: defaults, namedConfigs, requested: ['fsat'] }),
    (e: unknown) =>
      e instanceof UsageError &&
      /Unknown named config 'fsat'/.test(e.message) &&
      /Did you mean 'fast'/.test(e.message) &&
      /fast, slow/.test(e.message),
  );
  assert.throws(() => resolve({ requested: ['nothing'] }), /no named configs/);
  assert.throws(
    () => resolve({ requested: ['missing/conf.yaml'] }),
    (e: unknown) => e instanceof UsageError && /does not exist/.test(e.message),
  );
  const dir = mkdtempSync(join(tmpdir(), 'ritual-config-'));
  const txt = join(dir, 'conf.txt');
  writeFileSync(txt, 'x');
  assert.throws(() => resolve({ requested: [txt] }), /must end in .json, .yaml or .yml/);
});

test('summary: modified, added (with everything below), typechanged; int vs float is the same type', () => {
  const entries = [obj({ lr: 1, name: 'a', flag: true, list: [1], model: { hidden: 128 }, nothing: null, same: 3 })];
  const { summary } = resolve({
    entries,
    force: true,
    updates: {
      lr: 0.5,
      name: 5,
      flag: false,
      list: { a: 1 },
      model: 'none',
      nothing: 0,
      same: 3,
      extra: { deep: { x: 1 } },
    },
  });
  // null -> 0 is a change of value, not of type (null means "not set").
  assert.deepEqual(summary.modified, ['flag', 'lr', 'nothing']);
  assert.deepEqual(summary.typechanged, ['list', 'model', 'name']);
  assert.deepEqual(summary.added, ['extra', 'extra.deep', 'extra.deep.x']);
});

test('typo protection: an added key nothing declares is refused with the closest key suggested', () => {
  assert.throws(
    () => resolve({ entries: [obj({ lr: 0.1, epochs: 3 })], updates: { lrr: 0.5 } }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.path === 'lrr' &&
      e.message ===
        "Added new config entry 'lrr' that is not used anywhere. Did you mean 'lr'? Use --force (-f) to add it anyway.",
  );
  assert.throws(
    () => resolve({ entries: defaults, updates: { model: { hiden: 3 } } }),
    (e: unknown) =>
      e instanceof ConfigError && e.path === 'model.hiden' && /Did you mean 'model.hidden'/.test(e.message),
  );
  assert.throws(
    () => resolve({ entries: defaults, updates: { modle: { hidden: 3 } } }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.path === 'modle' &&
      /Did you mean 'model'/.test(e.message) &&
      !/modle\.hidden/.test(e.message),
  );
  assert.throws(
    () => resolve({ entries: defaults, updates: { zzzzzzzz: 1 } }),
    (e: unknown) => e instanceof ConfigError && !/Did you mean/.test(e.message) && /--force/.test(e.message),
  );
});

test('--force lets added keys through and keeps them in the config', () => {
  const { config, summary } = resolve({ entries: defaults, updates: { lrr: 0.5 }, force: true });
  assert.equal(config.lrr, 0.5);
  assert.deepEqual(summary.added, ['lrr']);
});

test('a named config is an update: undeclared keys are refused as with `with`; function reads count as use', () => {
  const namedConfigs = new Map([
    ['gpu', obj({ device: 'gpu' })],
    ['typo', fn(() => ({ lrr: 1 }))],
  ]);
  assert.throws(
    () => resolve({ entries: defaults, namedConfigs, requested: ['gpu'] }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.path === 'device' &&
      e.message ===
        "Added new config entry 'device' from named config 'gpu' that is not used anywhere. " +
          'Use --force (-f) to add it anyway.',
  );
  assert.throws(
    () => resolve({ entries: defaults, namedConfigs, requested: ['typo'] }),
    (e: unknown) =>
      e instanceof ConfigError &&
      /^Added new config entry 'lrr' from named config 'typo' that is not used anywhere\. Did you mean 'lr'\?/.test(
        e.message,
      ),
  );
  // A named config no longer declares keys for `with` either.
  assert.throws(
    () => resolve({ entries: defaults, namedConfigs, updates: { device: 'cpu' } }),
    /Added new config entry 'device' that/,
  );
  const forced = resolve({ entries: defaults, namedConfigs, requested: ['gpu'], force: true });
  assert.equal(forced.config.device, 'gpu');
  assert.deepEqual(forced.summary.added, ['device']);
  const read = resolve({
    entries: [...defaults, fn((c) => ({ warmupSteps: (c.warmup ?? 0) * 10 }))],
    updates: { warmup: 3 },
  });
  assert.equal(read.config.warmupSteps, 30);
  // Reading a declared object does not bless new keys below it.
  assert.throws(
    () => resolve({ entries: [...defaults, fn((c) => ({ h: c.model.hidden }))], updates: { model: { extra: 1 } } }),
    ConfigError,
  );
  const used = resolve({ entries: defaults, updates: { opt: { beta: 0.9 } }, usedKeys: ['opt'] });
  assert.deepEqual(used.config.opt, { beta: 0.9 });
});

test('config function errors name the entry; async functions are refused', () => {
  assert.throws(
    () => resolve({ entries: [obj({ a: 1 }), fn((c) => ({ b: c.missing.deep }))] }),
    (e: unknown) =>
      e instanceof ConfigError && /Config function #2 threw/.test(e.message) && (e as Error).cause instanceof TypeError,
  );
  assert.throws(() => resolve({ entries: [fn((() => Promise.resolve({})) as never)] }), /Promise/);
  assert.throws(() => resolve({ entries: [fn((() => undefined) as never)] }), /must be an object/);
});

test('values from functions, named configs and updates are validated with their path', () => {
  assert.throws(
    () => resolve({ entries: [fn(() => ({ m: { f: () => 1 } }))] }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.path === 'm.f' &&
      /Config function #1/.test(e.message) &&
      /function/.test(e.message),
  );
  assert.throws(
    () => resolve({ entries: defaults, updates: { lr: Number.NaN } }),
    (e: unknown) => e instanceof ConfigError && e.path === 'lr',
  );
  assert.throws(
    () => resolve({ entries: defaults, namedConfigs: new Map([['bad', obj({ 'a.b': 1 })]]), requested: ['bad'] }),
    (e: unknown) => e instanceof ConfigError && /Named config 'bad'/.test(e.message),
  );
  // An invalid named config that is not requested does not break other runs.
  assert.doesNotThrow(() => resolve({ entries: defaults, namedConfigs: new Map([['bad', obj({ x: undefined })]]) }));
});

test('the resolved config shares no objects with the declarations', () => {
  const value = { m: { x: 1 } };
  const { config } = resolve({ entries: [obj(value)] });
  (config.m as { x: number }).x = 2;
  assert.equal(value.m.x, 1);
});

test('programmatic updates may use dotted keys, like `with model.hidden=256`', () => {
  const { config, summary } = resolve({ entries: defaults, updates: { 'model.hidden': 256, model: { layers: 4 } } });
  assert.deepEqual(config.model, { hidden: 256, layers: 4 });
  assert.deepEqual(summary.modified, ['model.hidden', 'model.layers']);
  assert.throws(
    () => resolve({ entries: defaults, updates: { 'model..x': 1 } }),
    (e: unknown) => e instanceof ConfigError && /contains '\.'/.test(e.message),
  );
  assert.throws(
    () => resolve({ entries: [obj({ 'a.b': 1 })] }),
    (e: unknown) => e instanceof ConfigError && e.path === 'a.b' && /Config object #1/.test(e.message),
  );
});

test('a __proto__ key is refused, never turned into a prototype', () => {
  assert.throws(
    () => resolve({ entries: defaults, updates: JSON.parse('{"__proto__": {"lr": 5}}') }),
    (e: unknown) => e instanceof ConfigError && /prototype/.test(e.message),
  );
  assert.throws(
    () => resolve({ entries: defaults, updates: { '__proto__.lr': 5 }, force: true }),
    (e: unknown) => e instanceof ConfigError && /prototype/.test(e.message),
  );
  assert.equal(({} as Record<string, unknown>).lr, undefined);
});

test('a named config may be a file entry; a requested word that names a named config wins over a file of that name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-config-'));
  const file = join(dir, 'gpu.yaml');
  writeFileSync(file, 'batchSize: 512\n');
  const namedConfigs = new Map<string, ConfigEntry>([
    ['gpu', { kind: 'file', path: file }],
    [file, obj({ batchSize: 1 })],
  ]);
  assert.equal(resolve({ entries: defaults, namedConfigs, requested: ['gpu'] }).config.batchSize, 512);
  assert.equal(resolve({ entries: defaults, namedConfigs, requested: [file] }).config.batchSize, 1);
});
