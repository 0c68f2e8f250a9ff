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
    const child = spawnSync(
      process.execPath,
      ['--conditions=@ritual/source', '--import', 'tsx', fixture, '-F', runs, 'with', `dir=${dir}`],
      { encoding: 'utf8' },
    );
    assert.equal(child.status, 0, child.stderr);
    const rssMb = Number(/RSS_MB=(\d+)/.exec(child.stderr)?.[1]);
    assert.ok(rssMb < 400, `resident memory reached ${rssMb} MB while storing a 2 GB artifact`);
    const runDir = join(runs, '1');
    assert.equal(statSync(join(runDir, 'big.bin')).size, 2 * 1024 ** 3);
    assert.equal(readFileSync(join(runDir, 'résumé', 'データ.txt'), 'utf8'), 'héllo');
    const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    assert.deepEqual(run.artifacts.sort(), ['big.bin', 'résumé/データ.txt'].sort());
    for (const line of run.result as string[]) assert.doesNotMatch(line, /accepted/, line);
    assert.ok(
      !existsSync(join(runs, 'escape.txt')) && !existsSync(join(dir, 'escape.txt')) && !existsSync(join(dir, 'b.txt')),
    );
    assert.notEqual(readFileSync(join(runDir, 'run.json'), 'utf8'), 'héllo');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an artifact inside ritual's own .ritual/ folder is refused up front; every observer keeps recording", () => {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-artifacts-'));
  const runs = join(dir, 'runs');
  try {
    const args = [fixture, '-F', runs, 'with', `dir=${dir}`, 'bigGigabytes=0'];
    const options = { encoding: 'utf8' } as const;
    const child = spawnSync(process.execPath, ['--conditions=@ritual/source', '--import', 'tsx', ...args], options);
    assert.equal(child.status, 0, child.stderr);
    assert.doesNotMatch(child.stderr, /failed/i, 'no observer dropped out');
    const runDir = join(runs, '1');
    const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    assert.equal(run.status, 'COMPLETED');
    for (const name of ['.ritual/x', './.ritual/metrics.jsonl', '.ritual', '.Ritual/x']) {
      assert.ok((run.result as string[]).includes(`${name}: UsageError`), `${name} was not refused: ${run.result}`);
    }
    assert.ok(!existsSync(join(runDir, '.ritual', 'x')));
    assert.deepEqual(run.artifacts.sort(), ['big.bin', 'résumé/データ.txt'].sort());
    const metrics = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8'));
    assert.deepEqual(metrics.after.values, [1]);
    assert.match(readFileSync(join(runDir, 'cout.txt'), 'utf8'), /^after the refusals$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
