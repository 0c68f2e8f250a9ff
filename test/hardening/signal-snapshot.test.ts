import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('../fixtures/core/signal-snapshot-experiment.ts', import.meta.url));

/** Runs the fixture into a file observer, sends `signal` once it is well under way, returns the run folder. */
async function interruptedRun(signal: NodeJS.Signals, dir: string): Promise<{ code: number | null; runDir: string }> {
  const runs = join(dir, 'runs');
  const child = spawn(
    process.execPath,
    ['--conditions=@ritual/source', '--import', 'tsx', fixture, '-F', runs, '-b', '0.2'],
    {
      env: { ...process.env, RITUAL_JOURNAL_DIR: join(dir, 'journal') },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (stderr.includes('READY') && !child.killed) child.kill(signal);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.ok(child.killed, `the child never got under way: ${stderr}`);
  return { code, runDir: join(runs, '1') };
}

for (const [signal, exitCode] of [
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const) {
  test(`${signal}: the final snapshot holds the output and the points of the same instant, all of them`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ritual-signal-'));
    try {
      const { code, runDir } = await interruptedRun(signal, dir);
      assert.equal(code, exitCode);
      const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
      assert.equal(run.status, 'INTERRUPTED');

      const cout = readFileSync(join(runDir, 'cout.txt'), 'utf8');
      const marks = cout.split('\n').filter((line) => line.startsWith('MARK '));
      const x = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8')).x;
      const n = x.values.length;
      assert.ok(n > 20_000, `only ${n} points`);
      // Every point and every line, in order, none missing and none extra: x = i at step i, MARK i.
      x.values.forEach((value: number, i: number) => {
        assert.ok(value === i && x.steps[i] === i, `point ${i}: ${value} at step ${x.steps[i]}`);
      });
      for (const [i, line] of marks.entries()) assert.ok(line === `MARK ${i}`, `line ${i}: ${line}`);
      assert.equal(marks.length, n, `cout.txt ends at ${marks.at(-1)}, metrics.json at x = ${x.values.at(-1)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
