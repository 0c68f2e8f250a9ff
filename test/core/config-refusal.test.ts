// Config updates that change a declared value's type, or add a key nothing
// declares, are refused before the run starts (issue 13): through the real
// command line, exit 2, exactly one line per problem, and no run stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, Experiment } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import { runTypedExperiment } from '../support/typed-experiment-cli.js';

const cli = (args: string[]) => runTypedExperiment(args);

function refused(args: string[], lines: string[]): void {
  const { code, stdout, stderr, stored } = cli(args);
  assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
  assert.equal(stderr, lines.map((line) => `typed: ${line}\n`).join(''), args.join(' '));
  assert.equal(stdout, '', 'main never ran');
  assert.deepEqual(stored, [], 'no run folder (nor anything else) is created');
}

const LR = "Config 'lr' is a number (default 0.001); got";
const FORCE = 'or use --force to change its type.';
const TYPO_LRR =
  "Added new config entry 'lrr' from named config 'typo' that is not used anywhere. " +
  "Did you mean 'lr'? Use --force (-f) to add it anyway.";

test('with: a string, a list or a comma list for a number is refused; lists get the --multirun hint', () => {
  refused(['with', 'lr=abc'], [`${LR} the string "abc". Give a number (with lr=0.001), ${FORCE}`]);
  refused(
    ['with', 'lr=[0.01,0.1]'],
    [`${LR} the list [0.01,0.1]. Give a number (with lr=0.001), ${FORCE} To sweep over values use --multirun.`],
  );
  refused(
    ['with', 'lr=0.01,0.1'],
    [`${LR} the string "0.01,0.1". Give a number (with lr=0.001), ${FORCE} To sweep over values use --multirun.`],
  );
});

test('with: object vs scalar, scalar vs list, and a number for a string, one line each, sorted by path', () => {
  refused(
    ['with', 'model=3', 'optimizer=3', 'layers=5', 'epochs=4'],
    [
      `Config 'layers' is a list (default [64,32]); got the number 5. Give a list (with layers=[64,32]), ${FORCE}`,
      `Config 'model' is an object (default {"hidden":128}); got the number 3. ` +
        `Give an object (with model.hidden=128), ${FORCE}`,
      // A number where text was declared: the fix is to quote it.
      `Config 'optimizer' is a string (default "adam"); got the number 3. ` +
        `Give a string (with optimizer='"3"'), ${FORCE}`,
    ],
  );
  refused(
    ['with', 'model.hidden=wide'],
    [
      `Config 'model.hidden' is a number (default 128); got the string "wide". ` +
        `Give a number (with model.hidden=128), ${FORCE}`,
    ],
  );
});

test('named configs and config files: type changes and unknown keys are refused, naming where they came from', () => {
  refused(
    ['with', 'wordy'],
    [
      `Config 'epochs' is a number (default 3); got the string "many" from named config 'wordy'. ` +
        `Give a number (with epochs=3), ${FORCE}`,
    ],
  );
  refused(['with', 'typo'], [TYPO_LRR]);
  const file = join(mkdtempSync(join(tmpdir(), 'ritual-refusal-')), 'bad.yaml');
  writeFileSync(file, 'lr: fast\n');
  refused(
    ['with', file],
    [`${LR} the string "fast" from config file '${file}'. Give a number (with lr=0.001), ${FORCE}`],
  );
  // Both kinds of problem at once: unknown keys first, then type changes.
  refused(['with', 'typo', 'lr=abc'], [TYPO_LRR, `${LR} the string "abc". Give a number (with lr=0.001), ${FORCE}`]);
});

test('print_config gives the same verdict before running; with -f it marks the entry typechanged', () => {
  refused(['print_config', 'with', 'lr=abc'], [`${LR} the string "abc". Give a number (with lr=0.001), ${FORCE}`]);
  const forced = cli(['print_config', 'with', 'lr=abc', '-f']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /^ {2}lr = "abc" {2}# typechanged$/m);
});

test('null on either side and an integer for a float are allowed; -f lets a type change into the stored config', () => {
  const allowed = cli(['with', 'warmup=5', 'lr=1', 'epochs=null']);
  assert.equal(allowed.code, 0, allowed.stderr);
  const stored = JSON.parse(readFileSync(join(allowed.runs, '1', 'config.json'), 'utf8'));
  assert.deepEqual([stored.warmup, stored.lr, stored.epochs], [5, 1, null]);

  const forced = cli(['with', 'lr=abc', 'typo', '-f']);
  assert.equal(forced.code, 0, forced.stderr);
  const config = JSON.parse(readFileSync(join(forced.runs, '1', 'config.json'), 'utf8'));
  assert.equal(config.lr, 'abc');
  assert.equal(config.lrr, 1);
});

test('ex.run({ configUpdates }) is refused the same way, with nothing stored; options.force allows it', async () => {
  const runs = join(mkdtempSync(join(tmpdir(), 'ritual-refusal-')), 'runs');
  let calls = 0;
  const ex = new Experiment('typed')
    .config({ lr: 0.001, model: { hidden: 128 } })
    .main(() => void calls++)
    .observe(new FileStorageObserver(runs));
  await assert.rejects(
    // @ts-expect-error the type of a declared key is checked by tsc too
    ex.run({ configUpdates: { lr: 'abc' } }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.path === 'lr' &&
      e.message === `${LR} the string "abc". Give a number (with lr=0.001), ${FORCE}`,
  );
  await assert.rejects(
    // @ts-expect-error unknown keys are refused by tsc (without options.force)
    ex.run({ configUpdates: { model: { hiden: 3 } } }),
    (e: unknown) =>
      e instanceof ConfigError &&
      /^Added new config entry 'model\.hiden' that is not used anywhere\. Did you mean 'model\.hidden'\?/.test(
        e.message,
      ),
  );
  assert.equal(calls, 0);
  assert.deepEqual(existsSync(runs) ? readdirSync(runs) : [], []);
  // Forced: undeclared keys type-check; a declared key keeps its type for tsc (cast to change it).
  const run = await ex.run({ configUpdates: { lr: 'abc' as never, extra: 1 }, options: { force: true } });
  assert.equal(run.config.lr as unknown, 'abc');
  assert.equal(calls, 1);
});

test("a captured function's overrides get the same checks, unless the run was forced", async () => {
  const ex = new Experiment('captured').config({ lr: 0.001, model: { hidden: 128 } });
  const build = ex.capture(({ lr, model }) => `${lr}/${model.hidden}`);
  const seen: string[] = [];
  ex.main(() => {
    seen.push(build({ lr: 0.5 }));
    assert.throws(
      // @ts-expect-error a type change is a type error too
      () => build({ lr: 'x' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message ===
          `${LR} the string "x" from a captured function's overrides. Give a number (with lr=0.001), ${FORCE}`,
    );
    assert.throws(
      // @ts-expect-error and so is an unknown key
      () => build({ lrr: 1 }),
      /^ConfigError: Added new config entry 'lrr' from a captured function's overrides that is not used anywhere\. /,
    );
  });
  await ex.run({ options: { unobserved: true } });
  assert.deepEqual(seen, ['0.5/128']);
  const forced = new Experiment('forced').config({ lr: 0.001 });
  const echo = forced.capture(({ lr }) => lr as unknown);
  forced.main(() => seen.push(String(echo({ lr: 'x' as never }))));
  await forced.run({ options: { unobserved: true, force: true } });
  assert.deepEqual(seen, ['0.5/128', 'x']);
});
