// Issue 3: a tfjs training with dropout and shuffle, run in separate
// processes with a file observer and a 50 ms heartbeat, is bitwise
// reproducible from its seed on the cpu, wasm and tensorflow (tfjs-node) backends; another seed
// differs; replaying a stored config.json reproduces the stored result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTfjsNode } from '../support/tfjs-node.js';
import { REPO_ROOT, assertExited, metricValues, readRun, runScript } from './child-run.js';

const SCRIPT = join(REPO_ROOT, 'test', 'tfjs', 'fixtures', 'dropout-experiment.ts');

for (const backend of ['cpu', 'wasm', 'tensorflow'] as const) {
  test(`same seed -> identical weights, other seed -> different, replay of config.json -> same result (${backend})`, async (t) => {
    if (backend === 'tensorflow' && !requireTfjsNode(t)) return;
    const home = await mkdtemp(join(tmpdir(), `ritual-repro-${backend}-`));
    // Each run gets its own store so the follow-up runs can go in parallel and all be run 1.
    const store = (name: string) => join(home, name);
    const observe = (name: string) => ['-F', store(name), '-b', '0.05'];
    try {
      // First: seed chosen by ritual and written into the stored config.
      assertExited(await runScript(SCRIPT, ['with', `backend=${backend}`, ...observe('first')]), 'first run');
      const first = await readRun(store('first'), 1);
      const seed = first.config['seed'];
      assert.equal(typeof seed, 'number');
      assert.equal(first.run.status, 'COMPLETED');
      assert.ok(first.run.heartbeat, 'the run beat while training');
      assert.equal(
        first.metrics['batch.loss']!.values.length,
        4 * 8,
        'per-batch metrics were flushed through the observer',
      );

      // The same seed given explicitly; the stored config replayed; another seed.
      const [same, replay, other] = await Promise.all([
        runScript(SCRIPT, ['with', `backend=${backend}`, `seed=${seed}`, ...observe('same')]),
        runScript(SCRIPT, ['with', join(store('first'), '1', 'config.json'), ...observe('replay')]),
        runScript(SCRIPT, ['with', `backend=${backend}`, `seed=${(seed as number) + 1}`, ...observe('other')]),
      ]);
      assertExited(same, 'same-seed run');
      assertExited(replay, 'replay');
      assertExited(other, 'other-seed run');

      const weights = await first.artifact('weights.bin');
      for (const name of ['same', 'replay']) {
        const again = await readRun(store(name), 1);
        assert.equal(again.config['seed'], seed);
        assert.equal(again.config['backend'], backend);
        assert.equal(again.run.result, first.run.result, `${name}: result`);
        assert.ok(
          (await again.artifact('weights.bin')).equals(weights),
          `${name}: final weights must be bitwise identical`,
        );
        assert.deepEqual(metricValues(again.metrics), metricValues(first.metrics));
      }
      const differs = await readRun(store('other'), 1);
      assert.notEqual(differs.run.result, first.run.result);
      assert.ok(!(await differs.artifact('weights.bin')).equals(weights), 'another seed must give other weights');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
}
