import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';
import { runUnseeded } from '@ritual/core';
import { newRootSeed, Seeding } from '@ritual/core/observer-kit';
import { captureRunContext } from '../../packages/core/src/capture/index.js';
import { UsageError } from '../../packages/core/src/errors.js';

const draw = (n: number): number[] => Array.from({ length: n }, () => Math.random());

test('newRootSeed gives integers in [1, 1e9] without touching Math.random', () => {
  const original = Math.random;
  let calls = 0;
  Math.random = () => {
    calls++;
    return original();
  };
  try {
    const seeds = Array.from({ length: 200 }, () => newRootSeed());
    for (const seed of seeds) assert.ok(Number.isInteger(seed) && seed >= 1 && seed <= 1e9, String(seed));
    assert.ok(new Set(seeds).size > 190, 'seeds are random');
  } finally {
    Math.random = original;
  }
  assert.equal(calls, 0);
});

test('installGlobalRandom seeds Math.random from the root seed and restore() puts the original back', () => {
  const original = Math.random;
  const restore = new Seeding(42).installGlobalRandom();
  const first = draw(5);
  restore();
  assert.equal(Math.random, original);
  // The stream is seedrandom(String(seed)): a user can reproduce it outside ritual.
  const reference = seedrandom('42');
  assert.deepEqual(
    first,
    Array.from({ length: 5 }, () => reference()),
  );

  const again = new Seeding(42).installGlobalRandom();
  assert.deepEqual(draw(5), first);
  again();
  const other = new Seeding(43).installGlobalRandom();
  assert.notDeepEqual(draw(5), first);
  other();
  restore(); // a second restore is harmless
  assert.equal(Math.random, original);
});

test('installing twice without restoring is refused; nested seedings unwind in order', () => {
  const original = Math.random;
  const reference = seedrandom('1');
  const outer = new Seeding(1);
  const restoreOuter = outer.installGlobalRandom();
  assert.throws(() => outer.installGlobalRandom(), UsageError);
  const outerRandom = Math.random;
  const before = draw(2);
  const restoreInner = new Seeding(2).installGlobalRandom();
  const inner = draw(2);
  restoreInner();
  assert.equal(Math.random, outerRandom);
  // The outer stream resumes where it was, untouched by the inner run.
  const after = draw(2);
  restoreOuter();
  assert.equal(Math.random, original);
  assert.deepEqual(
    [...before, ...after],
    Array.from({ length: 4 }, () => reference()),
  );
  const innerReference = seedrandom('2');
  assert.deepEqual(inner, [innerReference(), innerReference()]);
});

test('timers and promises created before the install keep the original generator; main-started work is seeded', async () => {
  const restoreBaseline = new Seeding(77).installGlobalRandom();
  const baseline = draw(6);
  restoreBaseline();

  // Like the heartbeat: started before main, firing while main runs.
  const beforeInstall: number[] = [];
  const beat = new Promise<void>((resolve) => setTimeout(() => resolve(void beforeInstall.push(Math.random())), 1));
  const pending = new Promise<void>((resolve) => setTimeout(resolve, 15)).then(
    () => void beforeInstall.push(Math.random()),
  );
  const restore = new Seeding(77).installGlobalRandom();
  const seen = draw(2);
  await new Promise((resolve) => setTimeout(resolve, 10)); // main's own timer: seeded
  seen.push(...draw(2));
  await Promise.all([beat, pending]);
  seen.push(...(await Promise.resolve().then(() => draw(2))));
  restore();
  assert.deepEqual(seen, baseline);
  assert.equal(beforeInstall.length, 2, 'both callbacks created before the install ran during it');
  assert.ok(!beforeInstall.some((value) => baseline.includes(value)), 'they drew from the original generator');
});

test('derived seeds are reproducible per call order and independent of the global stream', () => {
  const a = new Seeding(7);
  const b = new Seeding(7);
  const restore = b.installGlobalRandom();
  draw(100); // main drawing from Math.random does not shift derived seeds
  const seedsA = [a.deriveSeed(), a.deriveSeed(), a.deriveSeed()];
  const seedsB = [b.deriveSeed(), b.deriveSeed(), b.deriveSeed()];
  restore();
  assert.deepEqual(seedsA, seedsB);
  assert.equal(new Set(seedsA).size, 3);
  for (const seed of seedsA)
    assert.ok(Number.isInteger(seed) && seed >= 1 && seed <= 1e9, 'Number.isInteger(seed) && seed >= 1 && seed <= 1e9');
  assert.notDeepEqual([new Seeding(8).deriveSeed()], [seedsA[0]]);

  // Deriving seeds does not shift the global stream either.
  const c = new Seeding(7);
  const r1 = c.installGlobalRandom();
  c.deriveSeed();
  c.createRng();
  const afterDerive = draw(3);
  r1();
  const r2 = new Seeding(7).installGlobalRandom();
  assert.deepEqual(draw(3), afterDerive);
  r2();
});

test('createRng gives independent generators: explicit seed, or the next derived seed', () => {
  const s = new Seeding(99);
  const explicit = s.createRng(5);
  const same = new Seeding(1).createRng(5);
  const xs = [explicit(), explicit(), explicit()];
  assert.deepEqual(xs, [same(), same(), same()]);
  for (const x of xs) assert.ok(x >= 0 && x < 1, 'x >= 0 && x < 1');

  const derived = new Seeding(99).createRng();
  const expectedSeed = new Seeding(99).deriveSeed();
  const viaSeed = new Seeding(0).createRng(expectedSeed);
  assert.equal(derived(), viaSeed());
  assert.throws(() => s.createRng(1.5), UsageError);
  assert.throws(() => new Seeding(Number.NaN), UsageError);
});

test('runUnseeded work (timers, promises) draws from the original generator, not the seeded stream', async () => {
  const expected = (() => {
    const restore = new Seeding(2024).installGlobalRandom();
    const values = draw(6);
    restore();
    return values;
  })();

  const restore = new Seeding(2024).installGlobalRandom();
  const seen: number[] = [];
  // Library work started inside runUnseeded keeps its context through timers and awaits.
  const libraryWork = runUnseeded(async () => {
    const ticks: number[] = [];
    await new Promise<void>((resolve) => {
      let n = 0;
      const timer = setInterval(() => {
        ticks.push(Math.random(), Math.random());
        if (++n === 5) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    await Promise.resolve();
    ticks.push(Math.random());
    return ticks;
  });
  seen.push(...draw(3));
  await new Promise((resolve) => setTimeout(resolve, 20));
  seen.push(...draw(3));
  const ticks = await libraryWork;
  restore();
  assert.deepEqual(seen, expected);
  assert.equal(ticks.length, 11);
  assert.ok(!ticks.some((value) => expected.includes(value)), '!ticks.some((value) => expected.includes(value))');
});

test("the library's own capture, timers and crypto ids do not change the seeded sequence", async () => {
  const mainFile = fileURLToPath(new URL('./seeding.test.ts', import.meta.url));
  const capture = () =>
    captureRunContext({
      mainFile,
      extraSources: [],
      extraDependencies: new Map(),
      envAllowList: ['PATH'],
      enforceClean: false,
    });

  const restoreBaseline = new Seeding(31337).installGlobalRandom();
  const baseline = draw(10);
  restoreBaseline();

  const restore = new Seeding(31337).installGlobalRandom();
  const seen = draw(2);
  // Cold and warm capture (first use spawns git and probes the host), ids, timers.
  await capture();
  randomUUID();
  await new Promise((resolve) => setTimeout(resolve, 5));
  seen.push(...draw(4));
  const timer = setInterval(() => randomUUID(), 1);
  await capture();
  await new Promise((resolve) => setTimeout(resolve, 10));
  clearInterval(timer);
  seen.push(...draw(4));
  restore();
  assert.deepEqual(seen, baseline);
});

test('a driver loaded inside runUnseeded (bson draws Math.random at import) leaves the seeded stream alone', async () => {
  const restoreBaseline = new Seeding(5).installGlobalRandom();
  const baseline = draw(4);
  restoreBaseline();

  const restore = new Seeding(5).installGlobalRandom();
  const seen = draw(2);
  const bson = await runUnseeded(() => import('bson'));
  runUnseeded(() => new bson.ObjectId());
  seen.push(...draw(2));
  restore();
  assert.deepEqual(seen, baseline);
});
