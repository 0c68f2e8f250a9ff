/**
 * A runs folder on a small tmpfs fills up late in a long run (`-b 1`): no
 * point may be lost, metrics.json must never be torn, and `ritual replay
 * JOURNAL STORE` (once there is room again) must complete the original run
 * in its own folder, every point in place. Needs root to mount a tmpfs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseJournalLine } from '@ritual/core/observer-kit';
import type { MetricSeries } from '@ritual/core';
import { openStore } from '@ritual/observers';

const ritualCli = fileURLToPath(new URL('../../packages/cli/src/ritual.ts', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/core/disk-full-experiment.ts', import.meta.url));
const POINTS = 200_000;
/**
 * Small (the 2 MiB: full at once) to larger (full after most points; under load the largest may hold
 * every point and fill up only at the final rewrite of metrics.json, which needs room for a second copy).
 */
const DISK_SIZES = ['2m', '8m', '24m', '32m'];

function mountTmpfs(size: string): { mountPoint: string } | { error: string } {
  const mountPoint = mkdtempSync(join(tmpdir(), 'ritual-disk-full-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (mount.status !== 0) {
    rmSync(mountPoint, { recursive: true, force: true });
    return { error: mount.stderr.trim() || `mount exited ${String(mount.status)}` };
  }
  return { mountPoint };
}

/** metrics.json of a run folder: valid JSON (or absent), and every point in it is `x = step`. */
function metricsJson(runDir: string): { steps: number[]; values: number[] } | null {
  let text: string;
  try {
    text = readFileSync(join(runDir, 'metrics.json'), 'utf8');
  } catch {
    return null;
  }
  const parsed = JSON.parse(text) as Record<string, { steps: number[]; values: number[] }>;
  return parsed.x ?? { steps: [], values: [] };
}

/** Steps of the journal's logMetrics events, each checked `x = step`. */
function journaledSteps(journal: string): number[] {
  const steps: number[] = [];
  for (const line of readFileSync(journal, 'utf8').split('\n')) {
    if (line === '') continue;
    const { method, event } = parseJournalLine(line);
    if (method !== 'logMetrics') continue;
    for (const series of event.metrics as MetricSeries[]) {
      assert.equal(series.name, 'x');
      series.steps.forEach((step, i) => {
        assert.equal(series.values[i], step, `journaled x at step ${step}`);
      });
      steps.push(...series.steps);
    }
  }
  return steps;
}

for (const size of DISK_SIZES) {
  test(`disk full (${size} tmpfs, ${POINTS} points, -b 1): metrics.json never torn, no point lost, replay completes the same run`, async (t) => {
    const mounted = mountTmpfs(size);
    if ('error' in mounted) {
      t.skip(`cannot mount a tmpfs here (${mounted.error}); this test needs root`);
      return;
    }
    const { mountPoint } = mounted;
    const journals = mkdtempSync(join(tmpdir(), 'ritual-disk-full-journal-'));
    try {
      const runs = join(mountPoint, 'runs');
      mkdirSync(runs);
      const child = spawnSync(
        process.execPath,
        ['--conditions=@ritual/source', '--import', 'tsx', fixture, '-F', runs, '-b', '1', 'with', `points=${POINTS}`],
        {
          encoding: 'utf8',
          env: { ...process.env, RITUAL_JOURNAL_DIR: journals },
        },
      );
      assert.equal(child.status, 0, child.stderr);
      assert.match(child.stdout, /training went on/);
      assert.equal(
        child.stderr.match(/FileStorageObserver\(.*\) failed/g)?.length,
        1,
        `the fault is reported once:\n${child.stderr}`,
      );
      const journal = readdirSync(journals).map((name) => join(journals, name));
      assert.equal(journal.length, 1, 'one journal');
      const runDir = join(runs, '1');

      // On the full disk: metrics.json parses, the run is not claimed to be complete.
      const partial = metricsJson(runDir);
      partial?.steps.forEach((step, i) => {
        assert.equal(partial.values[i], step, `metrics.json x at step ${step}`);
      });
      const statusOnFullDisk = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).status;

      // Every point is in the store's log or in the journal, exactly once.
      const store = await openStore(runs);
      const [logged] = await store.metrics(1, 'x');
      await store.close();
      const inLog = logged?.steps ?? [];
      inLog.forEach((step, i) => {
        assert.equal(logged!.values[i], step, `logged x at step ${step}`);
      });
      const inJournal = journaledSteps(journal[0]!);
      // Either points missed the store (then the run must not claim its end), or every point reached the log and
      // only the final metrics.json rewrite failed (then the end is recorded and journaled for that rewrite).
      const endOnly = inJournal.length === 0;
      if (endOnly) {
        assert.equal(inLog.length, POINTS, 'nothing journaled: every point is in the log');
        assert.equal(statusOnFullDisk, 'COMPLETED', 'the log holds the whole run: its end is recorded');
        const methods = readFileSync(journal[0]!, 'utf8')
          .trim()
          .split('\n')
          .map((line) => parseJournalLine(line).method);
        assert.deepEqual(methods, ['started', 'completed'], 'the end is journaled, so a replay rewrites metrics.json');
      } else {
        assert.equal(statusOnFullDisk, 'RUNNING', 'a run that missed events does not claim its end');
      }
      const seen = new Uint8Array(POINTS);
      for (const step of [...inLog, ...inJournal]) seen[step]! += 1;
      const lost = seen.reduce((count, times) => count + (times === 0 ? 1 : 0), 0);
      const twice = seen.reduce((count, times) => count + (times > 1 ? 1 : 0), 0);
      assert.equal(lost, 0, `points in neither the log (${inLog.length}) nor the journal (${inJournal.length})`);
      assert.equal(twice, 0, 'points in both the log and the journal would be stored twice by a replay');
      t.diagnostic(
        `on the full disk: ${inLog.length} points in the log, ${partial?.steps.length ?? 0} in metrics.json, ` +
          `${inJournal.length} journaled, ${lost} lost; run.json says ${statusOnFullDisk}`,
      );

      // Room again: the journal completes run 1 itself, through the real command.
      const remount = spawnSync('mount', ['-o', 'remount,size=256m', mountPoint], { encoding: 'utf8' });
      assert.equal(remount.status, 0, remount.stderr);
      const replay = spawnSync(
        process.execPath,
        ['--conditions=@ritual/source', '--import', 'tsx', ritualCli, 'replay', journal[0]!, runs],
        { encoding: 'utf8' },
      );
      assert.equal(replay.status, 0, replay.stderr);
      assert.match(replay.stdout, /Completed run 1 in /);
      assert.deepEqual(
        readdirSync(runs).filter((name) => !name.startsWith('_')),
        ['1'],
        'no new run folder',
      );
      const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
      assert.equal(run.status, 'COMPLETED');
      assert.equal(run.result, 'finished');
      const complete = metricsJson(runDir);
      assert.equal(complete?.steps.length, POINTS);
      for (let i = 0; i < POINTS; i++) {
        if (complete!.steps[i] !== i || complete!.values[i] !== i)
          assert.fail(`metrics.json point ${i}: step ${complete!.steps[i]}, x ${complete!.values[i]}`);
      }
      // A second replay of the same journal would store points twice: refused (an end-only journal adds none).
      const again = spawnSync(
        process.execPath,
        ['--conditions=@ritual/source', '--import', 'tsx', ritualCli, 'replay', journal[0]!, runs],
        { encoding: 'utf8' },
      );
      if (endOnly) {
        assert.equal(again.status, 0, again.stderr);
        assert.equal(metricsJson(runDir)?.steps.length, POINTS);
      } else {
        assert.notEqual(again.status, 0);
        assert.match(again.stderr, /already COMPLETED/);
      }
    } finally {
      spawnSync('umount', [mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
      rmSync(journals, { recursive: true, force: true });
    }
  });
}
