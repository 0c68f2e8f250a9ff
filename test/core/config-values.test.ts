import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freezeConfig,
  loadConfigFile,
  saveConfigFile,
  validateConfigValue,
} from '../../packages/core/src/config/index.js';
import { ConfigError, UsageError } from '../../packages/core/src/errors.js';

function refusal(value: unknown, path: string, pattern: RegExp) {
  assert.throws(
    () => validateConfigValue(value),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
      assert.equal(e.path, path);
      assert.match(e.message, pattern);
      assert.equal(e.code, 'RITUAL_CONFIG');
      return true;
    },
  );
}

test('keys with ".", "=", a leading "$" or empty are refused, naming the key path', () => {
  refusal({ model: { 'a.b': 1 } }, 'model.a.b', /'a\.b' \(under 'model'\) contains '\.'.*Rename it/);
  refusal({ 'x=y': 1 }, 'x=y', /contains '='/);
  refusal({ list: [{ $set: 1 }] }, 'list.0.$set', /starts with '\$'.*MongoDB/);
  refusal({ '': 1 }, '', /empty/);
  refusal(JSON.parse('{"a": {"__proto__": {"polluted": 1}}}'), 'a.__proto__', /prototype/);
  // '$' inside a key and '-' are fine.
  assert.doesNotThrow(() => validateConfigValue({ a$b: 1, 'with-dash': 2, 'with space': 3 }));
});

test('values JSON cannot store are refused with their path and what to do', () => {
  refusal({ a: { f: () => 1 } }, 'a.f', /is a function.*parameters/);
  refusal({ a: undefined }, 'a', /undefined.*Use null/);
  refusal({ a: [1, undefined] }, 'a.1', /undefined/);
  // eslint-disable-next-line no-sparse-arrays
  refusal({ a: [1, , 3] }, 'a.1', /undefined/);
  refusal({ big: 10n }, 'big', /BigInt.*string/);
  refusal({ s: Symbol('x') }, 's', /symbol/);
  refusal({ n: Number.NaN }, 'n', /NaN.*Store the number as a string or drop it/);
  refusal({ n: { m: Number.POSITIVE_INFINITY } }, 'n.m', /Infinity.*as a string/);
  refusal({ n: -Infinity }, 'n', /-Infinity/);
  refusal({ when: new Date(0) }, 'when', /Date.*toISOString/);
  refusal({ m: new Map() }, 'm', /Map.*plain object/);
  refusal({ s: new Set([1]) }, 's', /Set/);
  class Point {
    x = 1;
  }
  refusal({ p: new Point() }, 'p', /Point/);
  refusal({ [Symbol('k')]: 1 }, '', /symbol keys/);
});

test('cycles are refused naming both ends; shared (acyclic) references are fine', () => {
  const root: Record<string, any> = { a: { b: {} } };
  root.a.b.back = root.a;
  refusal(root, 'a.b.back', /refers back to 'a' \(a cycle\)/);
  const self: Record<string, any> = {};
  self.me = self;
  refusal(self, 'me', /refers back to the top level/);
  const list: any[] = [];
  list.push(list);
  refusal({ l: list }, 'l.0', /refers back to 'l'/);
  const shared = { x: 1 };
  assert.doesNotThrow(() => validateConfigValue({ a: shared, b: shared, c: [shared, shared] }));
});

test('plain data passes, including null-prototype objects and -0', () => {
  const bare = Object.create(null) as Record<string, unknown>;
  bare.k = 'v';
  assert.doesNotThrow(() =>
    validateConfigValue({ a: 1, b: 'x', c: true, d: null, e: [1, [2, { f: 3 }]], g: bare, h: -0, i: 1e-300 }),
  );
  assert.doesNotThrow(() => validateConfigValue(3, 'top'));
  assert.throws(
    () => validateConfigValue(Number.NaN, 'prefix.key'),
    (e: unknown) => e instanceof ConfigError && e.path === 'prefix.key',
  );
});

test('freezeConfig: reads work, every write or delete throws the read-only ConfigError', () => {
  const config = freezeConfig({ lr: 0.1, model: { hidden: 128, sizes: [1, 2] } });
  assert.equal(config.lr, 0.1);
  assert.equal(config.model.sizes[1], 2);
  assert.deepEqual(
    config.model.sizes.map((x) => x * 2),
    [2, 4],
  );
  assert.equal(config.model, config.model, 'nested views are stable');
  assert.equal(JSON.stringify(config), '{"lr":0.1,"model":{"hidden":128,"sizes":[1,2]}}');
  assert.deepEqual(Object.keys(config), ['lr', 'model']);
  const readOnly = (e: unknown) =>
    e instanceof ConfigError &&
    e.message.startsWith(
      'config is read-only inside a run; change it with `with key=value` on the command line or configUpdates in ex.run()',
    );
  assert.throws(() => {
    (config as any).lr = 1;
  }, readOnly);
  assert.throws(
    () => {
      (config as any).model.hidden = 1;
    },
    (e: unknown) => readOnly(e) && (e as ConfigError).path === 'model.hidden',
  );
  assert.throws(() => {
    (config as any).added = 1;
  }, readOnly);
  assert.throws(() => {
    delete (config as any).lr;
  }, readOnly);
  assert.throws(() => {
    (config.model.sizes as number[]).push(3);
  }, readOnly);
  assert.throws(() => {
    (config.model.sizes as number[]).sort();
  }, readOnly);
  assert.throws(() => Object.defineProperty(config, 'x', { value: 1 }), readOnly);
  assert.throws(() => Object.setPrototypeOf(config, null), readOnly);
  assert.equal(config.lr, 0.1);
  assert.equal(config.model.sizes.length, 2);
  // Primitives pass through untouched.
  assert.equal(freezeConfig(5), 5);
  assert.equal(freezeConfig(null), null);
});

test('freezeConfig copes with already-frozen objects (proxy invariants)', () => {
  const inner = Object.freeze({ a: 1 });
  const config = freezeConfig({ inner, outer: Object.freeze({ x: { y: 1 } }) });
  assert.equal(config.inner.a, 1);
  assert.equal(config.outer.x.y, 1);
  assert.throws(() => {
    (config as any).inner = {};
  }, ConfigError);
});

test('saveConfigFile writes sorted 2-space JSON and YAML that loadConfigFile reads back identically', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-config-file-'));
  const config = { zeta: 1, alpha: { b: [1, 'two', null], a: true }, text: 'yes', num: '1e3', seed: 42 };
  const json = join(dir, 'out.json');
  await saveConfigFile(config, json);
  const text = readFileSync(json, 'utf8');
  // Sacred's save_config: json.dump(sort_keys=True, indent=2), no trailing newline.
  assert.equal(
    text,
    JSON.stringify({ alpha: { a: true, b: [1, 'two', null] }, num: '1e3', seed: 42, text: 'yes', zeta: 1 }, null, 2),
  );
  assert.deepEqual(await loadConfigFile(json), config);
  for (const ext of ['yaml', 'yml', 'YAML']) {
    const file = join(dir, `out.${ext}`);
    await saveConfigFile(config, file);
    assert.match(readFileSync(file, 'utf8'), /^alpha:\n {2}a: true\n/);
    assert.deepEqual(await loadConfigFile(file), config, `${ext} round trip`);
  }
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
    'no temporary files left behind',
  );
});

test('a read-only config saves like the plain one; a JSON file with a byte-order mark loads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-config-file-'));
  const config = { b: { c: [1, 2] }, a: 'x' };
  for (const name of ['frozen.json', 'frozen.yaml']) {
    await saveConfigFile(freezeConfig(config), join(dir, name));
    assert.deepEqual(await loadConfigFile(join(dir, name)), config);
  }
  const bom = join(dir, 'bom.json');
  writeFileSync(bom, '\uFEFF{"a": 1}');
  assert.deepEqual(await loadConfigFile(bom), { a: 1 });
});

test('config file errors: extension, missing, invalid syntax, not an object, bad keys', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-config-file-'));
  await assert.rejects(
    saveConfigFile({ a: 1 }, join(dir, 'c.toml')),
    (e: unknown) => e instanceof UsageError && /\.json, \.yaml or \.yml/.test(e.message),
  );
  await assert.rejects(
    saveConfigFile({ a: 1 }, join(dir, 'missing-dir', 'c.json')),
    (e: unknown) => e instanceof UsageError && /Cannot write/.test(e.message),
  );
  await assert.rejects(saveConfigFile({ a: Number.NaN } as never, join(dir, 'c.json')), ConfigError);
  await assert.rejects(
    loadConfigFile(join(dir, 'nope.json')),
    (e: unknown) => e instanceof UsageError && /does not exist/.test(e.message),
  );
  await assert.rejects(loadConfigFile(join(dir, 'c.ini')), /extension/);
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'a: [1, 2\nb: 3\n');
  await assert.rejects(
    loadConfigFile(broken),
    (e: unknown) => e instanceof ConfigError && /not valid YAML at line/.test(e.message),
  );
  const badJson = join(dir, 'bad.json');
  writeFileSync(badJson, '{"a": 1,}');
  await assert.rejects(loadConfigFile(badJson), /not valid JSON/);
  const list = join(dir, 'list.json');
  writeFileSync(list, '[1, 2]');
  await assert.rejects(loadConfigFile(list), /top level, but it is a list/);
  const empty = join(dir, 'empty.yaml');
  writeFileSync(empty, '');
  await assert.rejects(loadConfigFile(empty), /it is empty/);
  const dotted = join(dir, 'dotted.yaml');
  writeFileSync(dotted, 'model:\n  a.b: 1\n');
  await assert.rejects(
    loadConfigFile(dotted),
    (e: unknown) => e instanceof ConfigError && e.path === 'model.a.b' && /dotted\.yaml/.test(e.message),
  );
  const dup = join(dir, 'dup.yaml');
  writeFileSync(dup, 'a: 1\na: 2\n');
  await assert.rejects(loadConfigFile(dup), ConfigError);
  const nan = join(dir, 'nan.yaml');
  writeFileSync(nan, 'x: .nan\n');
  await assert.rejects(loadConfigFile(nan), (e: unknown) => e instanceof ConfigError && e.path === 'x');
});
