// Type tests: checked by `npm run typecheck` (tsc -p test). The runtime test
// only makes sure the file loads; the assertions are on the types.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Experiment, UsageError, type StandardSchemaV1 } from '@ritual/core';
import * as v from 'valibot';
import { z } from 'zod';

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

// Updates may only name declared keys (issue 13): tsc refuses what the run would refuse.
// @ts-expect-error an unknown key in a named config
ex.namedConfig('typo', { lrr: 1 });
// @ts-expect-error an unknown nested key in a named config
ex.namedConfig('typo2', { model: { hiden: 1 } });
// @ts-expect-error a named config function returning an unknown key beside a known one
ex.namedConfig('typo3', (c) => ({ epochs: c.epochs * 2, lrr: 1 }));
// @ts-expect-error ... or below one
ex.namedConfig('typo4', () => ({ model: { hidden: 1, hiden: 1 } }));
ex.namedConfig('derived', (c) => ({ epochs: c.epochs * 2, model: { hidden: 64 } }));
// The seed is always declared.
ex.namedConfig('seeded', { seed: 3, model: { hidden: 64 } });
// A config file may declare anything, so after addConfigFile any key type-checks.
new Experiment('file').config({ a: 1 }).addConfigFile('conf.yaml').namedConfig('any', { b: 2 });

async function programmaticUpdates(): Promise<void> {
  await ex.run({ configUpdates: { model: { hidden: 3 }, seed: 1 } });
  // @ts-expect-error an unknown key in configUpdates
  await ex.run({ configUpdates: { lrr: 1 } });
  // @ts-expect-error a declared key given another type
  await ex.run({ configUpdates: { epochs: 'one' } });
  // options.force: true lets new keys through, as --force does
  await ex.run({ configUpdates: { lrr: 1 }, options: { force: true } });
}
void programmaticUpdates;

// ex.schema(): main's config is typed from the schema's output type.
new Experiment('zod')
  .config({ lr: 0.1, name: 'abc' })
  .schema(
    z.object({ lr: z.number().lt(1), name: z.string().transform((s) => s.length), extra: z.boolean().default(true) }),
  )
  .main(({ config }) => {
    expectType<Equal<typeof config.name, number>>(true);
    expectType<Equal<typeof config.extra, boolean>>(true);
    expectType<Equal<typeof config.seed, number>>(true);
  });
new Experiment('valibot')
  .config({ backend: 'cpu' })
  .schema(v.object({ backend: v.picklist(['cpu', 'wasm']) }))
  .main(({ config }) => expectType<Equal<typeof config.backend, 'cpu' | 'wasm'>>(true));
// A schema that keeps unknown keys types the keys it names; the other declared keys keep their types.
new Experiment('loose')
  .config({ lr: 0.1, logEvery: 'batch', model: { hidden: 64 } })
  .schema(z.looseObject({ lr: z.number().lt(1), logEvery: z.enum(['batch', 'epoch']) }))
  .main(({ config }) => {
    expectType<Equal<typeof config.logEvery, 'batch' | 'epoch'>>(true);
    expectType<Equal<typeof config.model.hidden, number>>(true);
    // @ts-expect-error still no unknown keys
    void config.nope;
  });
new Experiment('loose-valibot')
  .config({ backend: 'cpu', epochs: 2 })
  .schema(v.looseObject({ backend: v.picklist(['cpu', 'wasm']) }))
  .main(({ config }) => {
    expectType<Equal<typeof config.backend, 'cpu' | 'wasm'>>(true);
    expectType<Equal<typeof config.epochs, number>>(true);
  });
// A schema without an output type (hand-written) leaves the declared config type.
const hand: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'hand', validate: (value) => ({ value }) } };
new Experiment('hand')
  .config({ lr: 0.1 })
  .schema(hand)
  .config({ epochs: 2 })
  .main(({ config }) => {
    expectType<Equal<typeof config.lr, number>>(true);
    expectType<Equal<typeof config.epochs, number>>(true);
  });

const build = ex.capture(({ model, rng }, extra: number) => model.hidden * extra * rng());
expectType<Equal<ReturnType<typeof build>, number>>(true);

test('config types flow into main (checked by tsc -p test)', () => {});

test('ex.schema() refuses what is not a Standard Schema, for tsc and at run time', () => {
  assert.throws(
    // @ts-expect-error ex.schema() takes a Standard Schema, not any object
    () => new Experiment('bad').schema({ validate: () => true }),
    (e: unknown) => e instanceof UsageError && /^ex\.schema\(\) takes a Standard Schema v1 object/.test(e.message),
  );
});
