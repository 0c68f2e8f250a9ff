import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDifferences } from '../../packages/cli/src/compare.js';
import { FIXTURE_RUNS, runCli, tableRow } from './run-cli.js';

describe('configDifferences', () => {
  it('keeps only dotted keys whose values differ or are missing somewhere', () => {
    const diff = configDifferences([
      { lr: 0.1, model: { hidden: 128, act: 'relu' }, layers: [1, 2], same: 1 },
      { lr: 0.2, model: { hidden: 128 }, layers: [1, 2], same: 1, extra: true },
    ]);
    assert.deepEqual(diff, [
      { key: 'extra', values: [undefined, true] },
      { key: 'lr', values: [0.1, 0.2] },
      { key: 'model.act', values: ['relu', undefined] },
    ]);
    assert.deepEqual(configDifferences([{ a: { b: [1, { c: 2 }] } }, { a: { b: [1, { c: 2 }] } }]), []);
    assert.equal(configDifferences([{ a: 1 }, { a: 1 }], true).length, 1);
  });
});

describe('ritual compare', () => {
  it('shows runs, config differences and metric summaries side by side', async () => {
    const { code, stdout, stderr } = await runCli(['compare', FIXTURE_RUNS, '1', '2', '3']);
    assert.equal(code, 0, stderr);
    assert.deepEqual(tableRow(stdout, 'status'), ['status', 'COMPLETED', 'FAILED', 'RUNNING?']);
    assert.deepEqual(tableRow(stdout, 'result'), ['result', '0.9731', '-', '-']);
    assert.deepEqual(tableRow(stdout, 'key'), ['key', 'run 1', 'run 2', 'run 3']);
    assert.deepEqual(tableRow(stdout, 'lr'), ['lr', '0.001', '0.1', '0.005']);
    assert.deepEqual(tableRow(stdout, 'model.hidden'), ['model.hidden', '128', '256', '128']);
    assert.deepEqual(tableRow(stdout, 'batchSize'), ['batchSize', '64', '64', '32']);
    assert.deepEqual(tableRow(stdout, 'loss'), ['loss', 'last', '0.11', '9.5', '0.25']);
    assert.deepEqual(tableRow(stdout, 'acc'), ['acc', 'last', '0.9731', '-', '0.915']);
  });

  it('lists only differing keys: runs 1 and 2 agree on batchSize, epochs and activation', async () => {
    const { stdout } = await runCli(['compare', FIXTURE_RUNS, '1', '2']);
    assert.equal(tableRow(stdout, 'batchSize'), undefined);
    assert.equal(tableRow(stdout, 'epochs'), undefined);
    assert.equal(tableRow(stdout, 'model.activation'), undefined);
    assert.deepEqual(tableRow(stdout, 'seed'), ['seed', '12345', '777']);
    const all = await runCli(['compare', FIXTURE_RUNS, '1', '2', '--all']);
    assert.deepEqual(tableRow(all.stdout, 'epochs'), ['epochs', '3', '3']);
  });

  it('prints JSON with --json', async () => {
    const { stdout } = await runCli(['compare', FIXTURE_RUNS, '1', '2', '--json']);
    const parsed = JSON.parse(stdout) as {
      config: Array<{ key: string; values: unknown[] }>;
      metrics: Array<{ name: string; runs: Array<{ last: number } | null> }>;
    };
    assert.deepEqual(
      parsed.config.map((d) => d.key),
      ['lr', 'model.hidden', 'seed'],
    );
    const acc = parsed.metrics.find((m) => m.name === 'acc');
    assert.equal(acc?.runs[0]?.last, 0.9731);
    assert.equal(acc?.runs[1], null);
  });

  it('needs two ids, refuses the same run twice and unknown ids', async () => {
    assert.equal((await runCli(['compare', FIXTURE_RUNS, '1'])).code, 2);
    const twice = await runCli(['compare', FIXTURE_RUNS, '1', '1']);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /compared once/);
    const unknown = await runCli(['compare', FIXTURE_RUNS, '1', '42']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /No run with id 42/);
  });
});
