// `ritual ls --sweep ID` and `ritual show` on runs made by two real --multirun sweeps into one folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCli } from './run-cli.js';

const fixture = fileURLToPath(new URL('../fixtures/core/sweep-experiment.ts', import.meta.url));

async function sweep(dir: string, values: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--conditions=@ritual/source',
    '--import',
    'tsx',
    fixture,
    '-M',
    'with',
    `hidden=${values}`,
    '-F',
    dir,
  ]);
  return /^Sweep (\w+) /m.exec(stdout)![1]!;
}

test('ls --sweep lists the runs of one sweep with their place in it; show names the sweep', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'ritual-ls-sweep-')), 'runs');
  const first = await sweep(dir, '1,2,3');
  const second = await sweep(dir, '7,8');
  assert.notEqual(first, second);

  const listed = await runCli(['ls', dir, '--sweep', second, '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const rows = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(
    rows.map((row) => [row.id, row['meta.sweep.index'], row.result]),
    [
      [4, 0, 0.7000000000000001],
      [5, 1, 0.8],
    ],
  );
  const table = await runCli(['ls', dir, '--sweep', first]);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /meta\.sweep\.index/);
  assert.equal((table.stdout.match(/COMPLETED/g) ?? []).length, 3);

  const none = await runCli(['ls', dir, '--sweep', 'nosuch']);
  assert.match(none.stdout, /No runs match/);

  const shown = await runCli(['show', dir, '5']);
  assert.match(shown.stdout, new RegExp(`sweep\\s+${second}, #1 of 2 \\(sweep seed \\d+\\)`));
});
