// ex.schema(): the final config checked by any Standard Schema v1 object
// (zod, valibot, a hand-written one), before observers start (issue 13).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, Experiment, type Observer, type StandardSchemaV1 } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import { z } from 'zod';
import { REPO_ROOT, runTypedExperiment } from '../support/typed-experiment-cli.js';

const root = REPO_ROOT;
const cli = (schema: string, args: string[]) => runTypedExperiment(args, schema);

const refuses = (path: string, shown: string, message: string) =>
  `typed: Config '${path}' = ${shown}, which the experiment's schema refuses: ${message}. ` +
  `Give another value (with ${path}=VALUE).\n`;

const REFUSALS: Record<string, { args: string[]; stderr: string }> = {
  zod: {
    args: ['with', 'lr=5', 'optimizer=rmsprop'],
    stderr:
      refuses('lr', '5', 'Too big: expected number to be <1') +
      refuses('optimizer', '"rmsprop"', 'Invalid option: expected one of "adam"|"sgd"'),
  },
  valibot: {
    args: ['with', 'lr=5', 'optimizer=rmsprop'],
    stderr:
      refuses('lr', '5', 'Invalid value: Expected <1 but received 5') +
      refuses('optimizer', '"rmsprop"', 'Invalid type: Expected ("adam" | "sgd") but received "rmsprop"'),
  },
  // Nested paths given as { key } segments come out dotted.
  hand: {
    args: ['with', 'lr=5', 'model.hidden=3'],
    stderr: refuses('lr', '5', 'lr must be in (0, 1)') + refuses('model.hidden', '3', 'must be even'),
  },
};

for (const [schema, { args, stderr }] of Object.entries(REFUSALS)) {
  test(`${schema}: every issue on its own line with its dotted path, exit 2, nothing stored`, () => {
    const run = cli(schema, args);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr, stderr);
    assert.equal(run.stdout, '', 'main never ran');
    assert.deepEqual(run.stored, [], 'no run folder is created');
    // print_config gives the same verdict.
    const printed = cli(schema, ['print_config', ...args]);
    assert.equal(printed.code, 2);
    assert.equal(printed.stderr, stderr);
  });

  test(`${schema}: the schema's output (a default filled in) is main's config and the stored config`, () => {
    const run = cli(schema, ['with', 'lr=0.5', 'seed=3']);
    assert.equal(run.code, 0, run.stderr);
    const seen = JSON.parse(
      run.stdout
        .split('\n')
        .find((line) => line.startsWith('RESULT '))!
        .slice('RESULT '.length),
    );
    const stored = JSON.parse(readFileSync(join(run.runs, '1', 'config.json'), 'utf8'));
    const expected = { lr: 0.5, optimizer: 'adam', momentum: 0.9, epochs: 3, layers: [64, 32], model: { hidden: 128 } };
    assert.deepEqual(seen, { ...expected, warmup: null, seed: 3 });
    assert.deepEqual(stored, seen);
    // Replaying the stored config: `momentum` is the schema's own key, not a typo.
    const replay = cli(schema, ['with', join(run.runs, '1', 'config.json')]);
    assert.equal(replay.code, 0, replay.stderr);
    assert.deepEqual(JSON.parse(readFileSync(join(replay.runs, '1', 'config.json'), 'utf8')), stored);
  });
}

/** An observer that records whether a run reached it. */
function watcher(events: string[]): Observer {
  return {
    name: 'watcher',
    started: () => void events.push('started'),
    completed: () => void events.push('completed'),
  };
}

test('the schema sees the final config (updates and derived values) and a refusal reaches no observer', async () => {
  const events: string[] = [];
  const runs = join(mkdtempSync(join(tmpdir(), 'ritual-schema-')), 'runs');
  const ex = new Experiment('derived')
    .config({ epochs: 3 })
    .config((c) => ({ steps: c.epochs * 10 }))
    .schema(z.looseObject({ steps: z.number().max(100) }))
    .main(({ config }) => config.steps)
    .observe(watcher(events))
    .observe(new FileStorageObserver(runs));
  await assert.rejects(
    ex.run({ configUpdates: { epochs: 20 } }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.path === 'steps' &&
      e.message ===
        "Config 'steps' = 200, which the experiment's schema refuses: Too big: expected number to be <=100. " +
          'Give another value (with steps=VALUE).',
  );
  assert.deepEqual(events, []);
  assert.deepEqual(existsSync(runs) ? readdirSync(runs) : [], []);
  const run = await ex.run({ configUpdates: { epochs: 2 } });
  assert.equal(run.result, 20);
  assert.deepEqual(events, ['started', 'completed']);
});

test('a stripping schema keeps the seed; one that throws, changes the seed or gives no object is refused', async () => {
  // zod's default object strips unknown keys: main sees only what it declares, plus the seed.
  const stripped = await new Experiment('strip')
    .config({ lr: 0.1, other: 1 })
    .schema(z.object({ lr: z.number() }))
    .main(({ config }) => ({ ...config }))
    .run({ configUpdates: { seed: 9 }, options: { unobserved: true } });
  assert.deepEqual(stripped.result, { lr: 0.1, seed: 9 });

  const hand = (validate: StandardSchemaV1['~standard']['validate']): StandardSchemaV1 => ({
    '~standard': { version: 1, vendor: 'test', validate },
  });
  const cases: Array<[StandardSchemaV1, RegExp]> = [
    [
      hand(() => {
        throw new Error('boom');
      }),
      /^The experiment's schema threw while validating the config: boom\. Fix the schema\.$/,
    ],
    [
      hand((value) => ({ value: { ...(value as object), seed: 1 } })),
      /changed 'seed' from 5 to 1; it must leave the seed/,
    ],
    [hand(() => Promise.resolve({ value: [1] })), /turned the config into a list; it must give an object/],
    [hand(() => ({ value: { lr: new Date(0) } })), /schema output cannot be stored: Config value at 'lr' is a Date/],
    [
      hand(() => ({ issues: [{ message: 'no\nway.' }] })),
      /^The config is refused by the experiment's schema: no way\. Change/,
    ],
  ];
  for (const [schema, pattern] of cases) {
    let ran = false;
    const ex = new Experiment('bad')
      .config({ lr: 0.1 })
      .schema(schema)
      .main(() => void (ran = true));
    await assert.rejects(ex.run({ configUpdates: { seed: 5 }, options: { unobserved: true } }), (e: unknown) => {
      return e instanceof ConfigError && pattern.test(e.message);
    });
    assert.equal(ran, false);
  }
});

test('the MNIST example checks with its schema what its types cannot say, before anything is stored', () => {
  const runs = join(mkdtempSync(join(tmpdir(), 'ritual-schema-')), 'runs');
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  const result = spawnSync(
    process.execPath,
    [
      '--conditions=@ritual/source',
      '--import',
      'tsx',
      'examples/mnist/train.ts',
      '-F',
      runs,
      'with',
      'lr=3',
      'backend=gpu',
    ],
    { cwd: root, env, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(result.status, 2, result.stderr);
  assert.equal(
    result.stderr,
    [
      `mnist: Config 'backend' = "gpu", which the experiment's schema refuses: ` +
        `Invalid option: expected one of "auto"|"tfjs-node"|"wasm"|"cpu". Give another value (with backend=VALUE).`,
      `mnist: Config 'lr' = 3, which the experiment's schema refuses: Too big: expected number to be <1. ` +
        'Give another value (with lr=VALUE).',
      '',
    ].join('\n'),
  );
  assert.equal(existsSync(runs), false, 'no run folder is created');
});
