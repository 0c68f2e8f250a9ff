import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('../fixtures/core/output-experiment.ts', import.meta.url));

function runWithCapture(mode: string): { stdout: string; stored: string } {
  const runs = mkdtempSync(join(tmpdir(), 'ritual-output-'));
  const child = spawnSync(
    process.execPath,
    ['--conditions=@ritual/source', '--import', 'tsx', fixture, '-C', mode, '-F', runs],
    { encoding: 'utf8' },
  );
  assert.equal(child.status, 0, child.stderr);
  return { stdout: child.stdout, stored: readFileSync(join(runs, '1', 'cout.txt'), 'utf8') };
}

test("-C fd stores console output, direct fd writes and a child process's output, and still shows them", () => {
  const { stdout, stored } = runWithCapture('fd');
  for (const line of ['via console.log', 'via fd 1 directly', 'from a child process']) {
    assert.match(stored, new RegExp(line), `stored output lacks "${line}"`);
    assert.match(stdout, new RegExp(line), `terminal lacks "${line}"`);
  }
  assert.match(stored, /^progress 100%$/m, 'progress redraws collapse to the final state');
  assert.doesNotMatch(stored, /progress 10%/);
});

test('-C sys stores what goes through process.stdout but not direct fd writes (the documented trade-off)', () => {
  const { stdout, stored } = runWithCapture('sys');
  assert.match(stored, /via console\.log/);
  assert.match(stored, /^progress 100%$/m);
  assert.doesNotMatch(stored, /via fd 1 directly/);
  assert.match(stdout, /via fd 1 directly/, 'it still reaches the terminal');
});

test('-C no stores no output', () => {
  const { stored } = runWithCapture('no');
  assert.equal(stored, '');
});
