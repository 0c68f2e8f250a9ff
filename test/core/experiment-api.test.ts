import assert from 'node:assert/strict';
import test from 'node:test';
import { ConfigError, Experiment, UsageError, type Observer } from '@ritual/core';

/** Collects the events an in-process observer receives. */
function collector() {
  const events: Array<{ event: string; data: any }> = [];
  const observer: Observer = {
    name: 'collector',
    started: (data) => void events.push({ event: 'started', data }),
    logMetrics: (data) => void events.push({ event: 'logMetrics', data }),
    heartbeat: (data) => void events.push({ event: 'heartbeat', data }),
    artifactAdded: (data) => void events.push({ event: 'artifactAdded', data }),
    completed: (data) => void events.push({ event: 'completed', data }),
    failed: (data) => void events.push({ event: 'failed', data }),
  };
  return { events, observer };
}

function experiment() {
  return new Experiment('api')
    .config({ lr: 0.1, epochs: 3, model: { hidden: 8, act: 'relu' } })
    .config((c) => ({ total: c.epochs * 10 }))
    .namedConfig('fast', { epochs: 1 })
    .namedConfig('wide', { model: { hidden: 64 } });
}

test('ex.run applies named configs and updates with Sacred precedence; derived entries see them', async () => {
  const { events, observer } = collector();
  let seen: unknown;
  const ex = experiment().observe(observer);
  ex.main(({ config }) => {
    seen = config;
    return config.total;
  });
  const run = await ex.run({
    configUpdates: { lr: 0.5, model: { act: 'tanh' } },
    namedConfigs: ['fast', 'wide'],
    options: { beatInterval: 0.02 },
  });
  assert.equal(run.status, 'COMPLETED');
  assert.equal(run.result, 10);
  assert.deepEqual(
    { ...(seen as object), seed: 0 },
    { lr: 0.5, epochs: 1, total: 10, model: { hidden: 64, act: 'tanh' }, seed: 0 },
  );
  const started = events.find((e) => e.event === 'started')!.data;
  assert.deepEqual(started.meta.named_configs, ['fast', 'wide']);
  assert.deepEqual(started.meta.config_updates, { lr: 0.5, model: { act: 'tanh' } });
  assert.equal(typeof started.config.seed, 'number');
  assert.equal(events.at(-1)!.event, 'completed');
});

test('an explicit seed is kept; the config is read-only inside main', async () => {
  const ex = experiment();
  ex.main(({ config, seed }) => {
    assert.equal(seed, 1234);
    assert.equal(config.seed, 1234);
    assert.throws(() => {
      (config as { lr: number }).lr = 3;
    }, ConfigError);
    assert.throws(() => {
      (config.model as { hidden: number }).hidden = 3;
    }, ConfigError);
  });
  const run = await ex.run({ configUpdates: { seed: 1234 }, options: { unobserved: true } });
  assert.equal(run.status, 'COMPLETED');
});

test('a failing main rejects ex.run with the original error and observers get failed', async () => {
  const { events, observer } = collector();
  const ex = experiment().observe(observer);
  const boom = new Error('boom');
  ex.main(() => {
    throw boom;
  });
  await assert.rejects(ex.run(), (error) => error === boom);
  const failed = events.find((e) => e.event === 'failed')!.data;
  assert.match(failed.failTrace[0], /boom/);
});

test('a typo in an update is refused with a suggestion, and accepted with force', async () => {
  const ex = experiment();
  ex.main(({ config }) => (config as Record<string, unknown>).lrr);
  await assert.rejects(ex.run({ configUpdates: { lrr: 1 } as never, options: { unobserved: true } }), /lrr[\s\S]*lr/);
  const run = await ex.run({ configUpdates: { lrr: 1 } as never, options: { unobserved: true, force: true } });
  assert.equal(run.result, 1);
});

test('ex.capture injects the config, call-time overrides and a derived seed reproducible by call order', async () => {
  const ex = experiment();
  const describe = ex.capture(({ lr, model, seed, rng }) => ({ lr, hidden: model.hidden, seed, draw: rng() }));
  ex.main(() => [describe(), describe({ lr: 9 })]);
  const a = (await ex.run({ configUpdates: { seed: 7 }, options: { unobserved: true } })).result as any[];
  const b = (await ex.run({ configUpdates: { seed: 7 }, options: { unobserved: true } })).result as any[];
  assert.equal(a[0].lr, 0.1);
  assert.equal(a[1].lr, 9);
  assert.equal(a[0].hidden, 8);
  assert.notEqual(a[0].seed, a[1].seed, 'each call gets its own derived seed');
  assert.deepEqual(a, b, 'same root seed, same call order: same seeds and draws');
  assert.throws(() => describe(), UsageError, 'outside a run');
});

test('commands run with the same context; an unknown command is a usage error', async () => {
  const ex = experiment();
  ex.main(() => 'main');
  ex.command('evaluate', ({ config }) => `evaluated ${config.epochs}`);
  const run = await ex.run({ command: 'evaluate', namedConfigs: ['fast'], options: { unobserved: true } });
  assert.equal(run.result, 'evaluated 1');
  await assert.rejects(
    ex.run({ command: 'nope', options: { unobserved: true } }),
    /Unknown command "nope"[\s\S]*evaluate/,
  );
});

test('Math.random is seeded inside main and restored after', async () => {
  const original = Math.random;
  const ex = experiment();
  ex.main(() => [Math.random(), Math.random()]);
  const a = (await ex.run({ configUpdates: { seed: 99 }, options: { unobserved: true } })).result;
  const b = (await ex.run({ configUpdates: { seed: 99 }, options: { unobserved: true } })).result;
  const c = (await ex.run({ configUpdates: { seed: 100 }, options: { unobserved: true } })).result;
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(Math.random, original);
});

test('artifacts reach observers; a missing artifact file is a clear error', async () => {
  const { events, observer } = collector();
  const ex = experiment().observe(observer);
  const file = new URL(import.meta.url).pathname;
  ex.main(async ({ run }) => {
    await run.addArtifact(file, 'copy.ts', { contentType: 'text/plain' });
    await assert.rejects(run.addArtifact('/no/such/file.bin'), /does not exist/);
  });
  await ex.run();
  const artifact = events.find((e) => e.event === 'artifactAdded')!.data;
  assert.equal(artifact.name, 'copy.ts');
  assert.equal(artifact.contentType, 'text/plain');
});

test('run.logScalar takes a point time; a value or time that is not a number is a usage error', async () => {
  const { events, observer } = collector();
  const ex = new Experiment('times').observe(observer);
  const errors: unknown[] = [];
  ex.main(({ run }) => {
    run.logScalar('loss', 0.5, 7, 1_795_000_000_000);
    for (const bad of [() => run.logScalar('loss', '1' as never), () => run.logScalar('loss', 1, 8, Number.NaN)]) {
      try {
        bad();
      } catch (error) {
        errors.push(error);
      }
    }
  });
  await ex.run({ options: { beatInterval: 0.02 } });
  const points = events.filter((e) => e.event === 'logMetrics').flatMap((e) => e.data.metrics);
  assert.deepEqual(points, [{ name: 'loss', steps: [7], values: [0.5], timestamps: [1_795_000_000_000] }]);
  assert.equal(errors.length, 2);
  assert.ok(errors.every((e) => e instanceof UsageError));
  assert.match(String(errors[0]), /needs a number, got string/);
  assert.match(String(errors[1]), /epoch milliseconds/);
});
