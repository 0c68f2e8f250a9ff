// Type tests: checked by `npm run typecheck` (tsc -p test). The runtime test
// only makes sure the file loads; the assertions are on the types.
import test from 'node:test';
import { Experiment } from '@ritual/core';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

const ex = new Experiment('types')
  .config({ lr: 1e-3, epochs: 3, model: { hidden: 128, act: 'relu' } })
  .config((c) => {
    // a derived config sees everything declared before it, typed
    expectType<Equal<typeof c.epochs, number>>(true);
    expectType<Equal<typeof c.model.act, string>>(true);
    return { stepsPerEpoch: Math.ceil(10000 / c.epochs), lr: 'schedule' as const };
  })
  .namedConfig('fast', { epochs: 1 });

ex.main(({ config, seed, run }) => {
  expectType<Equal<typeof config.epochs, number>>(true);
  expectType<Equal<typeof config.stepsPerEpoch, number>>(true);
  // a later declaration of the same key wins, as at runtime
  expectType<Equal<typeof config.lr, 'schedule'>>(true);
  expectType<Equal<typeof config.seed, number>>(true);
  expectType<Equal<typeof seed, number>>(true);
  expectType<Equal<typeof run.config.model.hidden, number>>(true);
  // @ts-expect-error the config is read-only
  config.epochs = 2;
  // @ts-expect-error unknown keys are not there
  void config.nope;
});

// @ts-expect-error a named config must fit the declared shape
ex.namedConfig('bad', { epochs: 'one' });

const build = ex.capture(({ model, rng }, extra: number) => model.hidden * extra * rng());
expectType<Equal<ReturnType<typeof build>, number>>(true);

test('config types flow into main (checked by tsc -p test)', () => {});
