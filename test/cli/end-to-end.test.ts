// Runs written by ritual itself (Experiment + FileStorageObserver), read back
// by the ritual command: the whole path a user takes.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Experiment } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import { firstColumn, runCli, tableRow } from './run-cli.js';

let dir = '';

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ritual-e2e-'));
  const ex = new Experiment('e2e').config({ lr: 0.1, epochs: 4, model: { hidden: 16 } }).main(({ config, run }) => {
    for (let epoch = 0; epoch < config.epochs; epoch += 1) {
      run.logScalar('loss', (config.lr * 10) / (epoch + 1), epoch);
      run.logScalar('acc', 1 - 1 / (epoch + 2), epoch);
    }
    if (config.lr > 1) throw new Error('loss diverged');
    return 1 - config.lr;
  });
  ex.observe(new FileStorageObserver(dir));
  for (const lr of [0.1, 0.01, 5]) {
    try {
      await ex.run({ configUpdates: { lr, seed: 1 }, options: { loglevel: 'ERROR' } });
    } catch {
      // lr = 5 fails on purpose
    }
  }
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ritual on runs written by ritual', () => {
  it('ls lists the three runs with status, result and chosen columns', async () => {
    const { code, stdout, stderr } = await runCli(['ls', dir, '-c', 'config.lr', '-m', 'loss'], { now: new Date() });
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    assert.deepEqual(firstColumn(stdout), ['1', '2', '3']);
    const [one, two, three] = [tableRow(stdout, '1'), tableRow(stdout, '2'), tableRow(stdout, '3')];
    assert.deepEqual([one?.[1], one?.[2], one?.[5], one?.[6], one?.[7]], ['e2e', 'COMPLETED', '0.9', '0.1', '0.25']);
    assert.deepEqual([two?.[2], two?.[5], two?.[6]], ['COMPLETED', '0.99', '0.01']);
    assert.deepEqual([three?.[2], three?.[5], three?.[6]], ['FAILED', '-', '5']);
  });

  it('--where and --sort pick the right runs', async () => {
    const best = await runCli(['ls', dir, '--where', 'status = COMPLETED', '--sort', '-result', '--limit', '1'], {
      now: new Date(),
    });
    assert.deepEqual(firstColumn(best.stdout), ['2']);
    const failed = await runCli(['ls', dir, '--where', 'config.lr >= 1 or fail_trace != null'], { now: new Date() });
    assert.deepEqual(firstColumn(failed.stdout), ['3']);
  });

  it('show has the captured host, sources and the fail trace', async () => {
    const { code, stdout, stderr } = await runCli(['show', dir, '3'], { now: new Date() });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^Run 3 {2}e2e {2}FAILED/);
    assert.match(stdout, /node\s+v?\d+\.\d+/);
    assert.match(stdout, /Fail trace\n.*loss diverged/s);
    assert.match(stdout, /end-to-end\.test\.ts/);
  });

  it('compare, metrics and plot read the metrics ritual logged', async () => {
    const compare = await runCli(['compare', dir, '1', '2'], { now: new Date() });
    assert.deepEqual(tableRow(compare.stdout, 'lr'), ['lr', '0.1', '0.01']);
    assert.equal(tableRow(compare.stdout, 'epochs'), undefined);
    const csv = await runCli(['metrics', dir, '2', 'loss', '--csv']);
    assert.deepEqual(
      csv.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(',').slice(0, 2).join(',')),
      ['0,0.1', '1,0.05', '2,0.03333333333333333', '3,0.025'],
    );
    const file = path.join(dir, 'plot.svg');
    const plot = await runCli(['plot', dir, '1,2,3', 'loss,acc', '-o', file]);
    assert.equal(plot.code, 0, plot.stderr);
    const svg = await readFile(file, 'utf8');
    assert.equal((svg.match(/aria-roledescription="line mark"/g) ?? []).length, 6);
  });
});
