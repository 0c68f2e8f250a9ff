// compareRuns on runs written by ritual: the same seed gives the same series
// and artifacts; a changed point is found at its metric and step; a tolerance
// accepts what it should and nothing more.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Experiment } from '@ritual/core';
import { FileStorageObserver, openStore, type RunStore } from '@ritual/observers';
import { compareRuns } from '../../packages/cli/src/main.js';
import { runCli } from './run-cli.js';

let dir = '';
let store: RunStore;

/** x = i at step i for 100 steps, a noisy loss from the seeded Math.random, and one artifact. */
async function writeRuns(): Promise<void> {
  const ex = new Experiment('compare-runs')
    .config({ shift: 0, points: 100, telemetry: 0 })
    .main(async ({ config, run }) => {
      for (let i = 0; i < config.points; i++) {
        run.logScalar('x', i + config.shift, i);
        run.logScalar('loss', Math.random(), i);
        // What the system sampler stores for a longer run: machine telemetry, not a result.
        if (config.telemetry) run.logScalar('system.cpu_percent', 50 + i, i);
      }
      const file = path.join(dir, `weights-${String(run.id)}.bin`);
      await writeFile(file, Buffer.from([1, 2, 3, config.shift === 0 ? 0 : 1]));
      await run.addArtifact(file, 'weights.bin');
      return 0.5 + config.shift;
    });
  ex.observe(new FileStorageObserver(dir));
  const runs: Array<Record<string, number>> = [
    { seed: 7 },
    { seed: 7 },
    { seed: 7, shift: 1e-12 },
    { seed: 7, points: 90 },
    { seed: 7, telemetry: 1 },
  ];
  for (const configUpdates of runs) await ex.run({ configUpdates, options: { loglevel: 'ERROR' } });
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ritual-compare-runs-'));
  await writeRuns();
  store = await openStore(dir);
});

after(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('compareRuns', () => {
  it('system.* metrics (machine telemetry from the sampler; longer runs have more) are not compared', async () => {
    const c = await compareRuns(store, 1, 5);
    assert.equal(c.same, true);
    assert.deepEqual(
      c.metrics.map((m) => m.name),
      ['loss', 'x'],
    );
  });

  it('two runs from the same seed: result, both series (every point) and the artifact are the same', async () => {
    const c = await compareRuns(store, 1, 2);
    assert.equal(c.same, true);
    assert.equal(c.bitwise, true);
    assert.deepEqual(
      c.metrics.map((m) => [m.name, m.status, m.pointsA, m.pointsB]),
      [
        ['loss', 'same', 100, 100],
        ['x', 'same', 100, 100],
      ],
    );
    assert.deepEqual(
      c.artifacts.map((x) => [x.name, x.same]),
      [['weights.bin', true]],
    );
    assert.equal(
      c.artifacts[0]!.md5A,
      createHash('md5')
        .update(Buffer.from([1, 2, 3, 0]))
        .digest('hex'),
    );
  });

  it('a value changed in the last bits: found at its metric and first step; accepted within atol', async () => {
    const c = await compareRuns(store, 1, 3);
    assert.equal(c.same, false);
    const x = c.metrics.find((m) => m.name === 'x')!;
    assert.equal(x.status, 'diverges');
    // x = i + 1e-12: step 0 already differs (0 vs 1e-12)
    assert.deepEqual(x.divergence, { index: 0, stepA: 0, stepB: 0, valueA: 0, valueB: 1e-12 });
    assert.equal(c.metrics.find((m) => m.name === 'loss')!.status, 'same');
    assert.equal(c.result.same, false);
    assert.equal(c.artifacts[0]!.same, false);

    const loose = await compareRuns(store, 1, 3, { atol: 1e-9, artifacts: false });
    assert.equal(loose.metrics.find((m) => m.name === 'x')!.status, 'same');
    assert.equal(loose.result.same, true);
    assert.equal(loose.bitwise, false);
    const tooTight = await compareRuns(store, 1, 3, { atol: 1e-13, artifacts: false });
    assert.equal(tooTight.metrics.find((m) => m.name === 'x')!.divergence?.index, 0);
  });

  it('a shorter series diverges where the shorter one ends', async () => {
    const c = await compareRuns(store, 1, 4, { artifacts: false });
    const x = c.metrics.find((m) => m.name === 'x')!;
    assert.deepEqual([x.status, x.pointsA, x.pointsB], ['diverges', 100, 90]);
    assert.deepEqual(x.divergence, { index: 90, stepA: 90, stepB: null, valueA: 90, valueB: null });
  });

  it('a tampered stored point is reported at its metric and step', async () => {
    // Run 2 completed, so metrics.json is its only copy of the points (the log is removed at a clean end).
    const file = path.join(dir, '2', 'metrics.json');
    const log = await readFile(file, 'utf8');
    const metrics = JSON.parse(log) as Record<string, { values: number[] }>;
    assert.equal(metrics.x!.values[37], 37);
    metrics.x!.values[37] = 37.5;
    await writeFile(file, JSON.stringify(metrics, null, 2));
    try {
      const c = await compareRuns(store, 1, 2);
      const x = c.metrics.find((m) => m.name === 'x')!;
      assert.deepEqual(x.divergence, { index: 37, stepA: 37, stepB: 37, valueA: 37, valueB: 37.5 });
      const cli = await runCli(['compare', dir, '1', '2']);
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(cli.stdout, /run 2: x diverges at step 37: 37 \(run 1\) vs 37\.5 \(run 2\)/);
      const json = JSON.parse((await runCli(['compare', dir, '1', '2', '--json'])).stdout) as {
        series: Array<{ same: boolean }>;
      };
      assert.equal(json.series[0]!.same, false);
    } finally {
      await writeFile(file, log);
    }
    const cli = await runCli(['compare', dir, '1', '2']);
    assert.match(cli.stdout, /run 2: every series the same \(2 metrics\)/);
  });

  it('--rtol that is not a number is a usage error', async () => {
    const cli = await runCli(['compare', dir, '1', '2', '--rtol', 'tiny']);
    assert.equal(cli.code, 2);
    assert.match(cli.stderr, /--rtol must be a number >= 0/);
  });
});
