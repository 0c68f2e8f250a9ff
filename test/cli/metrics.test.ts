import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURE_RUNS, firstColumn, runCli, tableRow } from './run-cli.js';

describe('ritual metrics', () => {
  it('prints the series as a table: step, value, time', async () => {
    const { code, stdout, stderr } = await runCli(['metrics', FIXTURE_RUNS, '1', 'loss']);
    assert.equal(code, 0, stderr);
    assert.deepEqual(firstColumn(stdout), ['0', '1', '2']);
    assert.deepEqual(tableRow(stdout, '1'), ['1', '0.23', '2026-11-27 10:43:11']);
  });

  it('prints CSV with full precision and ISO UTC times', async () => {
    const { stdout } = await runCli(['metrics', FIXTURE_RUNS, '1', 'acc', '--csv']);
    assert.equal(
      stdout,
      'step,value,timestamp\n0,0.82,2026-11-27T10:43:10.000Z\n1,0.93,2026-11-27T10:43:11.001Z\n2,0.9731,2026-11-27T10:43:12.002Z\n',
    );
  });

  it('prints JSON', async () => {
    const { stdout } = await runCli(['metrics', FIXTURE_RUNS, '3', 'loss', '--json']);
    const series = JSON.parse(stdout) as { name: string; steps: number[]; values: number[]; timestamps: number[] };
    assert.equal(series.name, 'loss');
    assert.deepEqual(series.values, [0.7, 0.4, 0.3, 0.25]);
    assert.equal(series.timestamps[0], Date.parse('2026-11-27T09:05:10Z'));
  });

  it('lists the metrics a run has when the name is unknown', async () => {
    const { code, stderr } = await runCli(['metrics', FIXTURE_RUNS, '1', 'val_loss']);
    assert.equal(code, 2);
    assert.match(stderr, /Run 1 has no metric "val_loss"; it has: acc, loss\./);
  });

  it('says "no such run" rather than "no such metric" for an unknown run', async () => {
    const { code, stderr } = await runCli(['metrics', FIXTURE_RUNS, '77', 'loss']);
    assert.equal(code, 2);
    assert.match(stderr, /No run with id 77/);
  });

  it('without a name, lists the metrics of the run (default store ./runs)', async () => {
    const before = process.cwd();
    // each test file runs in its own process, so changing directory here touches no other test
    process.chdir(path.dirname(FIXTURE_RUNS));
    try {
      const { code, stderr } = await runCli(['metrics', '3']);
      assert.equal(code, 2);
      assert.match(stderr, /Name a metric of run 3: acc \(4 points\), loss \(4 points\); e\.g\. ritual metrics 3 acc/);
    } finally {
      process.chdir(before);
    }
  });
});
