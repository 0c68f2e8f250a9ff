import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FIXTURE_RUNS } from './run-cli.js';

// The plotting stack (vega, vega-lite, resvg) and mingo are optional peers: a user who did not install them
// gets one line saying what to install, exit 2, and no stack trace.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = path.join(ROOT, 'packages/cli/src/ritual.ts');
const HIDE = path.join(ROOT, 'test/support/hide-modules.mjs');
const dir = mkdtempSync(path.join(tmpdir(), 'ritual-optional-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function ritualWithout(hidden: string[], args: string[]) {
  const child = spawnSync(
    process.execPath,
    ['--conditions=@ritual/source', '--import', 'tsx', '--import', HIDE, ENTRY, ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', RITUAL_TEST_HIDE_MODULES: hidden.join(',') },
    },
  );
  return { code: child.status, stderr: child.stderr, stdout: child.stdout };
}

describe('optional peers that are not installed', () => {
  it('ritual plot to PNG without vega-lite and resvg names both in one install line', () => {
    const file = path.join(dir, 'loss.png');
    const { code, stderr } = ritualWithout(
      ['vega-lite', '@resvg/resvg-js'],
      ['plot', FIXTURE_RUNS, '1', 'loss', '-o', file],
    );
    assert.equal(code, 2, stderr);
    assert.equal(stderr.trim().split('\n').length, 1, `one line, no stack: ${stderr}`);
    assert.match(
      stderr,
      /^ritual: .*`vega-lite`, `@resvg\/resvg-js`.*ritual plot.*npm install vega-lite @resvg\/resvg-js$/m,
    );
    assert.equal(existsSync(file), false);
  });

  it('an SVG needs no resvg: only vega is asked for when only vega is missing', () => {
    const { code, stderr } = ritualWithout(
      ['vega', '@resvg/resvg-js'],
      ['plot', FIXTURE_RUNS, '1', 'loss', '-o', path.join(dir, 'x.svg')],
    );
    assert.equal(code, 2, stderr);
    assert.match(stderr, /Install it: npm install vega$/m);
  });

  it('ritual board without @ritual/board says how to add it, and ritual ls never loads it', () => {
    const { code, stderr } = ritualWithout(['@ritual/board'], ['board', FIXTURE_RUNS, '--port', '0']);
    assert.equal(code, 2, stderr);
    assert.equal(stderr.trim().split('\n').length, 1, `one line, no stack: ${stderr}`);
    assert.match(stderr, /@ritual\/board.*ritual board.*npm install @ritual\/board$/m);
    const ls = ritualWithout(['@ritual/board'], ['ls', FIXTURE_RUNS]);
    assert.equal(ls.code, 0, ls.stderr);
  });

  it('the hiding is real: with nothing hidden the same plot is drawn', () => {
    const file = path.join(dir, 'drawn.svg');
    const { code, stderr } = ritualWithout([], ['plot', FIXTURE_RUNS, '1', 'loss', '-o', file]);
    assert.equal(code, 0, stderr);
    assert.ok(existsSync(file));
  });

  it('ritual ls (FileRunStore.find) without mingo says to install mingo', () => {
    const { code, stderr } = ritualWithout(['mingo'], ['ls', FIXTURE_RUNS]);
    assert.equal(code, 2, stderr);
    assert.equal(stderr.trim().split('\n').length, 1, `one line, no stack: ${stderr}`);
    assert.match(stderr, /^ritual: Optional module `mingo` not found; .*npm install mingo$/m);
  });
});
