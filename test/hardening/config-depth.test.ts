import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('../fixtures/commandline/experiment.ts', import.meta.url));

/** Runs the experiment's real command line with a file observer and a MongoDB observer (unreachable: it journals). */
function runCli(dir: string, words: string[], observers = true) {
  const flags = ['-F', join(dir, 'runs')];
  if (observers) flags.push('-m', 'mongodb://127.0.0.1:1/ritual_depth');
  const args = ['--conditions=@ritual/source', '--import', 'tsx', fixture, 'with', ...words, '-f', ...flags];
  return spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', RITUAL_JOURNAL_DIR: join(dir, 'journal') },
  });
}

const nested = (open: string, close: string, levels: number) => `${open.repeat(levels)}1${close.repeat(levels)}`;

const LIMIT = /a config may nest at most 64 levels/;
const TOO_DEEP_FLOW = /brackets nest more than 64 deep/;
const refused: Array<[string, (dir: string) => string, RegExp]> = [
  ['a 2,000-level dotted key', () => `${'a.'.repeat(2000)}b=1`, /has a key 2001 levels deep/],
  ['a flow literal 1,000 levels deep', () => `x=${nested('[', ']', 1000)}`, TOO_DEEP_FLOW],
  ['a flow literal 500 levels deep', () => `x=${nested('{a: ', '}', 500)}`, TOO_DEEP_FLOW],
  ['a key and a literal 65 deep together', () => `${'a.'.repeat(59)}b=${nested('[', ']', 5)}`, /nested 65 levels deep/],
  [
    'a JSON config file 3,000 levels deep',
    (dir) => {
      writeFileSync(join(dir, 'deep.json'), `{"deep": ${nested('{"d": ', '}', 3000)}}`);
      return join(dir, 'deep.json');
    },
    /In config file '.*deep\.json': Config value at 'deep\.d\.d.*' is nested 65 levels deep/,
  ],
  [
    'a YAML config file with a flow 1,000 levels deep',
    (dir) => {
      writeFileSync(join(dir, 'deep.yaml'), `deep: ${nested('[', ']', 1000)}\n`);
      return join(dir, 'deep.yaml');
    },
    /Config file '.*deep\.yaml' nests brackets more than 64 deep/,
  ],
];

for (const [what, word, message] of refused) {
  test(`${what} is refused with exit 2 and one line, before any observer starts (no run folder, no journal)`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ritual-depth-'));
    try {
      const child = runCli(dir, [word(dir)]);
      assert.equal(child.status, 2, child.stderr.slice(0, 2000));
      assert.match(child.stderr, message);
      assert.match(child.stderr, LIMIT);
      assert.equal(child.stderr.trim().split('\n').length, 1, `more than one line: ${child.stderr.slice(0, 2000)}`);
      assert.ok(child.stderr.length < 600, 'the message abbreviates the key instead of echoing it');
      assert.doesNotMatch(child.stderr, /Maximum call stack|\n\s+at /);
      assert.doesNotMatch(child.stdout, /RESULT/, 'main never ran');
      assert.ok(!existsSync(join(dir, 'runs')), 'the file observer created a folder');
      assert.ok(!existsSync(join(dir, 'journal')), 'the MongoDB observer started a journal');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a dotted key and a flow literal at exactly 64 levels are accepted and stored', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-depth-'));
  try {
    const child = runCli(dir, [`${'a.'.repeat(63)}b=1`, `x=${nested('[', ']', 63)}`], false);
    assert.equal(child.status, 0, child.stderr.slice(0, 2000));
    const config = JSON.parse(readFileSync(join(dir, 'runs', '1', 'config.json'), 'utf8'));
    let node = config;
    for (let i = 0; i < 63; i++) node = node.a;
    assert.equal(node.b, 1);
    let list = config.x;
    for (let i = 0; i < 63; i++) list = list[0];
    assert.equal(list, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
