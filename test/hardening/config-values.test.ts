import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { ConfigError, Experiment } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';

const cycle: Record<string, unknown> = { a: 1 };
cycle.self = cycle;

const refused: Array<[string, Record<string, unknown>, RegExp]> = [
  ['a function', { model: { act: () => 1 } }, /model\.act[\s\S]*function/],
  ['undefined', { lr: undefined }, /lr[\s\S]*undefined/],
  ['a BigInt', { big: 10n }, /big[\s\S]*BigInt/],
  ['NaN', { x: { y: Number.NaN } }, /x\.y[\s\S]*NaN/],
  ['Infinity', { lim: Infinity }, /lim[\s\S]*Infinity/],
  ['a Date', { when: new Date(0) }, /when[\s\S]*(Date|toISOString)/],
  ['a typed array', { w: new Float32Array(2) }, /\bw\b/],
  ['a cycle', { net: cycle }, /net\.self[\s\S]*(cycle|circular)/i],
  ['a dotted key', { 'a.b': 1 }, /a\.b/],
  ['a $ key', { $where: 1 }, /\$where/],
  ['an = key', { 'k=v': 1 }, /k=v/],
];

for (const [what, config, message] of refused) {
  test(`a config holding ${what} is refused with a message naming the path`, async () => {
    const ex = new Experiment('values').config(config);
    ex.main(() => 1);
    await assert.rejects(ex.run({ options: { unobserved: true } }), (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.match((error as Error).message, message);
      return true;
    });
  });
}

test('a 10 MB string, nesting to the 64-level limit and -0 are stored faithfully (-0 as 0)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-values-'));
  const big = 'x'.repeat(10 * 1024 * 1024);
  let deep: Record<string, unknown> = { leaf: 'bottom' };
  // deep.d.….d.leaf: 1 + 62 + 1 = 64 keys, the most a config may nest (MAX_CONFIG_DEPTH).
  for (let i = 0; i < 62; i++) deep = { d: deep };
  const ex = new Experiment('values').config({ big, deep, zero: -0 }).observe(new FileStorageObserver(dir));
  ex.main(({ config }) => config.big.length);
  const run = await ex.run();
  assert.equal(run.result, big.length);
  const stored = JSON.parse(readFileSync(join(dir, String(run.id), 'config.json'), 'utf8'));
  assert.equal(stored.big, big);
  let node = stored.deep;
  for (let i = 0; i < 62; i++) node = node.d;
  assert.equal(node.leaf, 'bottom');
  assert.ok(Object.is(stored.zero, 0));
});

test('one level past the 64-level limit is refused before the run starts, naming the path and the limit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-values-'));
  let deep: Record<string, unknown> = { leaf: 'bottom' };
  for (let i = 0; i < 63; i++) deep = { d: deep };
  const ex = new Experiment('values').config({ deep }).observe(new FileStorageObserver(dir));
  let ran = false;
  ex.main(() => (ran = true));
  await assert.rejects(ex.run(), (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.match((error as Error).message, /'deep\.d\.d.*' is nested 65 levels deep; a config may nest at most 64/);
    return true;
  });
  assert.equal(ran, false);
  assert.deepEqual(readdirSync(dir), [], 'no run folder was created');
});
