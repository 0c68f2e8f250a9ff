import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSweep } from '../../packages/core/src/sweep/sweep-plan.js';
import { CommandLineError } from '../../packages/core/src/errors.js';

test('a 3x2 grid gives each of its 6 configs exactly once, the last axis varying fastest', () => {
  const plan = planSweep(['lr=0.1,0.01,0.001', 'model.hidden=64,128', 'epochs=2', 'fast']);
  assert.equal(plan.mode, 'grid');
  assert.equal(plan.points.length, 6);
  const combos = plan.points.map((p) => JSON.stringify(p.assignments));
  assert.equal(new Set(combos).size, 6);
  assert.deepEqual(
    plan.points.map((p) => p.assignments.map(([, v]) => v)),
    [
      [0.1, 64],
      [0.1, 128],
      [0.01, 64],
      [0.01, 128],
      [0.001, 64],
      [0.001, 128],
    ],
  );
  // Plain values and named configs are kept as typed, in place; each run gets its own seed.
  assert.deepEqual(plan.points[1]!.words.slice(0, 4), ['lr=0.1', 'model.hidden=128', 'epochs=2', 'fast']);
  assert.match(plan.points[1]!.words[4]!, /^seed=\d+$/);
  assert.equal(new Set(plan.points.map((p) => p.seed)).size, 6);
});

test('range(), choice() and quoted or bracketed commas', () => {
  const plan = planSweep(['n=range(1, 7, 2)', 'opt=choice(adam, "s,gd")', 'shape=[1,2]', 'x=range(0.1, 0.4, 0.1)']);
  assert.deepEqual([...new Set(plan.points.map((p) => p.assignments[0]![1]))], [1, 3, 5]);
  assert.deepEqual([...new Set(plan.points.map((p) => p.assignments[1]![1]))], ['adam', 's,gd']);
  assert.deepEqual([...new Set(plan.points.map((p) => p.assignments[2]![1]))], [0.1, 0.2, 0.3]);
  assert.equal(plan.points.length, 3 * 2 * 3);
  assert.ok(plan.points.every((p) => p.words.includes('shape=[1,2]')));
  assert.equal(plan.points[0]!.words[1], 'opt="adam"');
});

test('the same --sweep-seed repeats the draws and the run seeds; another seed draws others', () => {
  const words = ['lr=loguniform(1e-4, 1e-1)', 'drop=uniform(0, 0.5)', 'layers=randint(1, 4)', 'opt=adam,sgd'];
  const a = planSweep(words, { samples: 20, sweepSeed: 7 });
  const b = planSweep(words, { samples: 20, sweepSeed: 7 });
  const c = planSweep(words, { samples: 20, sweepSeed: 8 });
  assert.equal(a.mode, 'random');
  assert.equal(a.seed, 7);
  assert.equal(a.points.length, 20);
  assert.deepEqual(
    a.points.map((p) => [p.assignments, p.seed]),
    b.points.map((p) => [p.assignments, p.seed]),
  );
  assert.notDeepEqual(
    a.points.map((p) => p.assignments),
    c.points.map((p) => p.assignments),
  );
  for (const { assignments } of a.points) {
    const [lr, drop, layers, opt] = assignments.map(([, v]) => v) as [number, number, number, string];
    assert.ok(lr >= 1e-4 && lr < 1e-1, `lr ${lr}`);
    assert.ok(drop >= 0 && drop < 0.5, `drop ${drop}`);
    assert.ok(Number.isInteger(layers) && layers >= 1 && layers <= 4, `layers ${layers}`);
    assert.ok(['adam', 'sgd'].includes(opt));
  }
  // Both ends of randint are drawn over enough samples.
  const many = planSweep(['k=randint(1, 2)'], { samples: 200, sweepSeed: 1 }).points.map((p) => p.assignments[0]![1]);
  assert.deepEqual([...new Set(many)].sort(), [1, 2]);
});

test('a fixed or swept seed is used as given instead of a derived one', () => {
  assert.ok(planSweep(['lr=1,2', 'seed=5']).points.every((p) => p.seed === null && p.words.at(-1) === 'seed=5'));
  assert.deepEqual(
    planSweep(['seed=1,2']).points.map((p) => p.words),
    [['seed=1'], ['seed=2']],
  );
});

function failsAt(words: string[], column: number, pattern: RegExp, samples?: number) {
  assert.throws(
    () => planSweep(words, samples === undefined ? {} : { samples }),
    (error: unknown) => {
      assert.ok(error instanceof CommandLineError, String(error));
      assert.match(error.message, pattern);
      assert.match(error.message, new RegExp(`at character ${column}:`));
      const lines = error.message.split('\n');
      // The caret sits under the character named, below the token (both indented by two).
      assert.equal(lines[2]!.indexOf('^'), column + 1, error.message);
      return true;
    },
  );
}

test('bad sweep syntax points at the character', () => {
  failsAt(['lr=range(1,)'], 12, /an empty argument/);
  failsAt(['lr=range(1, x)'], 13, /takes numbers; 'x' is not one/);
  failsAt(['lr=0.1,,0.2'], 8, /empty value between commas/);
  failsAt(['shape=[1,2'], 7, /'\[' is never closed/);
  failsAt(['lr=uniform(1, 0.5)'], 15, /needs a < b/, 3);
  failsAt(['lr=uniform(0, 1)'], 4, /add --samples N/);
  failsAt(['lr=loguniform(0, 1)'], 15, /needs a > 0/, 2);
  failsAt(['n=range(3, 3)'], 9, /is empty/);
  failsAt(['n=choice(a, b)x'], 15, /nothing may follow/);
});

test('--help documents the sweep grammar and flags', async () => {
  const { renderHelp } = await import('../../packages/core/src/commandline/help.js');
  const text = renderHelp({ experimentName: 'x', program: 'node x.js', commands: [], namedConfigs: [], config: {} });
  for (const piece of ['-M/--multirun', '--samples N', '--sweep-seed S', '--jobs N', '--sweep-metric NAME']) {
    assert.ok(text.includes(piece), piece);
  }
  for (const fn of ['range(', 'choice(', 'uniform(', 'loguniform(', 'randint(']) assert.ok(text.includes(fn), fn);
});
