/**
 * How many turns of the event loop a beat's metrics need to reach disk.
 *
 * On tfjs-node, model.fit runs synchronously between the turns that ritual's
 * callback gives the event loop (createTfjsCallback, at most one a second),
 * and each file-system round trip an append waits for needs a turn. A beat
 * whose writes wait once per metric (a run logging 40 metrics: 80+ turns)
 * then reaches disk minutes later, and the end of the run waits for all of
 * it. These tests play that loop (main busy between turns) and count.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { MetricSeries } from '@ritual/core';
import { MetricsLog } from '../../packages/observers/src/file/metrics-log.js';
import { tempDir } from './file-fixtures.js';
import { busy } from '../support/busy-loop.js';

const METRICS = 40;
/** Main busy between two turns: long enough for the thread pool to finish what a turn started, even on a busy machine. */
const BUSY_MS = 25;

/** Turns of a loop that is busy between turns (as fit is) until `work` settles. */
async function turnsUntil(work: Promise<unknown>): Promise<number> {
  let settled = false;
  const done = work.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  let turns = 0;
  while (!settled) {
    busy(BUSY_MS);
    await new Promise<void>((resolve) => setImmediate(resolve));
    turns++;
  }
  await done;
  await work;
  return turns;
}

/** A run folder as the file observer makes it (its private folder holds the log). */
async function runFolder(): Promise<string> {
  const dir = await tempDir();
  await mkdir(join(dir, '.ritual'));
  return dir;
}

function beat(step: number): MetricSeries[] {
  return Array.from({ length: METRICS }, (_, k) => ({
    name: `m${k}`,
    steps: [step],
    values: [k + step / 10],
    timestamps: [1_795_000_000_000 + step],
  }));
}

test(`a beat of ${METRICS} new metrics reaches the log and its metrics.json items in a few turns, not one per metric`, async () => {
  const dir = await runFolder();
  const log = new MetricsLog(dir);
  try {
    const first = await turnsUntil(log.append(beat(0)));
    // Open the log (one wait), write (one), check the log still exists (one); the items of a small run stay in memory.
    assert.ok(first <= 10, `first beat took ${first} turns`);
    const second = await turnsUntil(log.append(beat(1)));
    assert.ok(second <= 6, `second beat took ${second} turns`);
    await log.flush();
    const metrics = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')) as Record<
      string,
      { steps: number[]; values: number[] }
    >;
    assert.equal(Object.keys(metrics).length, METRICS);
    for (let k = 0; k < METRICS; k++) {
      assert.deepEqual(metrics[`m${k}`]!.steps, [0, 1]);
      assert.deepEqual(metrics[`m${k}`]!.values, [k, k + 0.1]);
    }
  } finally {
    await log.close();
  }
});

test(`a beat of ${METRICS} metrics and the rewrite of metrics.json it starts take a few turns, its items read side by side`, async () => {
  const dir = await runFolder();
  const log = new MetricsLog(dir);
  try {
    await log.append(beat(0));
    await log.settle();
    // A small run's metrics.json follows every beat, rewritten in the background from its items.
    const turns = await turnsUntil(log.append(beat(1)).then(() => log.settle()));
    // Append (write, check) then temp file, reads, write, close, rename: a wait each, whatever the number of metrics.
    assert.ok(turns <= 16, `beat and rewrite took ${turns} turns`);
    const metrics = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')) as Record<
      string,
      { steps: number[] }
    >;
    assert.equal(Object.keys(metrics).length, METRICS);
    assert.deepEqual(metrics.m39!.steps, [0, 1]);
  } finally {
    await log.close();
  }
});
