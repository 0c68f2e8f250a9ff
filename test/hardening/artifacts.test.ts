import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('../fixtures/core/artifact-experiment.ts', import.meta.url));

test('a 2 GB artifact is streamed (memory stays small), unicode names work, escaping and reserved names are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-artifacts-'));
  const runs = join(dir, 'runs');
  try {
    const child = spawnSync(process.execPath, ['--conditions=@ritual/source', '--import', 'tsx', fixture, '-F', runs, 'with', `dir=${dir}`], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const rssMb = Number(/RSS_MB=(\d+)/.exec(child.stderr)?.[1]);
    assert.ok(rssMb < 400, `resident memory reached ${rssMb} MB while storing a 2 GB artifact`);
    const runDir = join(runs, '1');
    assert.equal(statSync(join(runDir, 'big.bin')).size, 2 * 1024 ** 3);
    assert.equal(readFileSync(join(runDir, 'résumé', 'データ.txt'), 'utf8'), 'héllo');
    const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    assert.deepEqual(run.artifacts.sort(), ['big.bin', 'résumé/データ.txt'].sort());
    for (const line of run.result as string[]) assert.doesNotMatch(line, /accepted/, line);
    assert.ok(!existsSync(join(runs, 'escape.txt')) && !existsSync(join(dir, 'escape.txt')) && !existsSync(join(dir, 'b.txt')));
    assert.notEqual(readFileSync(join(runDir, 'run.json'), 'utf8'), 'héllo');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
