import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

const fixtures = fileURLToPath(new URL('../fixtures/core/', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../../packages/core/dist/index.js', import.meta.url)));
const TSX = ['--conditions=@ritual/source', '--import', 'tsx'];

function run(
  nodeArgs: string[],
  file: string,
  args: string[] = [],
): { code: number | null; ran: string | null; stderr: string } {
  const events = join(mkdtempSync(join(tmpdir(), 'ritual-automain-')), 'events');
  const child = spawnSync(process.execPath, [...nodeArgs, join(fixtures, file), ...args], {
    env: { ...process.env, RITUAL_TEST_EVENTS: events },
    encoding: 'utf8',
  });
  return { code: child.status, ran: existsSync(events) ? readFileSync(events, 'utf8') : null, stderr: child.stderr };
}

test('CommonJS under tsx: automain(module) runs as the entry point, with updates', () => {
  const result = run(TSX, 'cjs-experiment.cjs', ['with', 'value=3', '-u']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.ran, 'ran with value=3\n');
});

test('CommonJS under tsx: requiring the file does not start a run', () => {
  const result = run(TSX, 'cjs-importer.cjs');
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.ran, null);
});

test('plain node, built package: CommonJS require() of the ESM package and automain', {
  skip: !built && 'run `npm run build` first',
}, () => {
  const result = run([], 'cjs-experiment.cjs', ['-u']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.ran, 'ran with value=2\n');
  assert.equal(run([], 'cjs-importer.cjs').ran, null);
});

test('plain node, built package: ESM automain(import.meta) runs as entry point, not when imported', {
  skip: !built && 'run `npm run build` first',
}, () => {
  const result = run([], 'esm-experiment.mjs', ['with', 'value=5', '-u']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.ran, 'ran with value=5\n');
  assert.equal(run([], 'esm-importer.mjs').ran, null);
});
