/**
 * kill -9 of a file-observed run: metrics.json lags the run's own log (it is
 * rewritten when the points double), so `ritual fail`, and any reader that
 * finds the dead run, must rewrite it from the log: Sacred's readers
 * (Omniboard, incense) only read metrics.json.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ritualCli = fileURLToPath(new URL('../../packages/cli/src/ritual.ts', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/core/disk-full-experiment.ts', import.meta.url));
/** Killed once the log holds this many points: past a doubling of metrics.json (10k, 20k, 40k…), before the next. */
const KILL_AFTER_POINTS = 50_000;

/** Steps of `x` in the metrics log, whole lines only (a kill may cut the last one), each checked `x = step`. */
function loggedSteps(runDir: string): number[] {
  let text: string;
  try {
    text = readFileSync(join(runDir, '.ritual', 'metrics.jsonl'), 'utf8');
  } catch {
    return [];
  }
  const steps: number[] = [];
  for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
    if (line === '') continue;
    const entry = JSON.parse(line) as { name: string; steps: number[]; values: number[] };
    entry.steps.forEach((step, i) => {
      assert.equal(entry.values[i], step, `logged x at step ${step}`);
    });
    steps.push(...entry.steps);
  }
  return steps;
}

/** Points of `x` in metrics.json now (0 while it is absent or being replaced). */
function pointsInMetricsJson(runDir: string): number {
  try {
    return (
      (JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8')) as { x?: { steps: number[] } }).x?.steps.length ??
      0
    );
  } catch {
    return 0;
  }
}

/**
 * Start a long run and SIGKILL it once its log holds KILL_AFTER_POINTS
 * points and metrics.json lags it (the state a kill finds most of the time).
 */
async function killedRun(): Promise<{ runs: string; runDir: string; logged: number[]; before: number }> {
  const runs = mkdtempSync(join(tmpdir(), 'ritual-killed-'));
  const runDir = join(runs, '1');
  const child = spawn(
    process.execPath,
    [
      '--conditions=@ritual/source',
      '--import',
      'tsx',
      fixture,
      '-F',
      runs,
      '-b',
      '0.2',
      'with',
      'points=10000000',
      'pauseMs=20',
    ],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const due = () => {
      const logged = loggedSteps(runDir).length;
      return logged >= KILL_AFTER_POINTS && pointsInMetricsJson(runDir) < logged;
    };
    for (let waited = 0; !due(); waited += 100) {
      assert.ok(waited < 120_000 && child.exitCode === null, 'the run logged its points');
      await sleep(100);
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  const logged = loggedSteps(runDir);
  assert.deepEqual(
    logged,
    Array.from({ length: logged.length }, (_, i) => i),
    'the log holds x = i for i = 0.. without a gap',
  );
  return { runs, runDir, logged, before: pointsInMetricsJson(runDir) };
}

function assertMetricsJsonHolds(runDir: string, steps: number[]): void {
  const x = (
    JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8')) as Record<
      string,
      { steps: number[]; values: number[]; timestamps: string[] }
    >
  ).x;
  assert.equal(x?.steps.length, steps.length, 'metrics.json holds every point of the log');
  for (const [i, step] of steps.entries()) {
    if (x.steps[i] !== step || x.values[i] !== step)
      assert.fail(`metrics.json point ${i}: step ${x.steps[i]}, x ${x.values[i]}; the log has ${step}`);
  }
  assert.equal(x.timestamps.length, steps.length);
}

function ritual(...args: string[]) {
  return spawnSync(process.execPath, ['--conditions=@ritual/source', '--import', 'tsx', ritualCli, ...args], {
    encoding: 'utf8',
  });
}

test('kill -9, then ritual fail: metrics.json is rewritten from the log, every point value by value', async (t) => {
  const { runs, runDir, logged, before } = await killedRun();
  t.diagnostic(`after the kill: ${logged.length} points in the log, ${before} in metrics.json`);
  try {
    const failed = ritual('fail', runs, '1', '--force');
    assert.equal(failed.status, 0, failed.stderr);
    assertMetricsJsonHolds(runDir, logged);
    assert.equal(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).status, 'FAILED');
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});

test('kill -9, then a reader finds the run dead (ritual show): metrics.json is rewritten from the log', async (t) => {
  const { runs, runDir, logged, before } = await killedRun();
  t.diagnostic(`after the kill: ${logged.length} points in the log, ${before} in metrics.json`);
  try {
    // Ten minutes without a heartbeat: probably dead, as ls and show say.
    const runJson = join(runDir, 'run.json');
    const entry = JSON.parse(readFileSync(runJson, 'utf8')) as Record<string, unknown>;
    const longAgo = new Date(Date.now() - 10 * 60_000).toISOString().replace('Z', '000');
    writeFileSync(runJson, JSON.stringify({ ...entry, heartbeat: longAgo }, null, 2));
    const shown = ritual('show', runs, '1');
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /RUNNING\?/);
    assertMetricsJsonHolds(runDir, logged);
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});
