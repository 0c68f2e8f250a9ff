// Issue 3, with a MongoDB observer active beside the file observer: the
// driver (server selection, pools) must not draw from the seeded stream, so
// two runs with one seed still train bitwise-identical weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@ritual/observers';
import { startMongoServer } from '../support/mongo.js';
import { REPO_ROOT, assertExited, metricValues, readRun, runScript } from './child-run.js';

const SCRIPT = join(REPO_ROOT, 'test', 'tfjs', 'fixtures', 'dropout-experiment.ts');

test('with a MongoDB observer too (its driver must not draw from the seeded stream): same seed -> identical weights (wasm)', {
  timeout: 150_000,
}, async () => {
  const server = await startMongoServer({ persistent: false });
  const url = `${server.url}/ritual_tfjs_repro`;
  const home = await mkdtemp(join(tmpdir(), 'ritual-repro-mongo-'));
  try {
    const run = (name: string) =>
      runScript(SCRIPT, ['with', 'backend=wasm', 'seed=4242', '-m', url, '-F', join(home, name), '-b', '0.05']);
    const [a, b] = await Promise.all([run('a'), run('b')]);
    assertExited(a, 'first run');
    assertExited(b, 'second run');
    // MongoDB (priority 30) names the runs, so each file store holds the id the database gave.
    const onlyRun = async (name: string) => {
      const ids = (await readdir(join(home, name))).filter((f) => /^\d+$/.test(f));
      assert.equal(ids.length, 1, `one run in store ${name}: ${ids.join(', ')}`);
      return readRun(join(home, name), ids[0]!);
    };
    const first = await onlyRun('a');
    const second = await onlyRun('b');
    assert.equal(second.run.result, first.run.result);
    assert.ok(
      (await second.artifact('weights.bin')).equals(await first.artifact('weights.bin')),
      'weights must be bitwise identical',
    );
    assert.deepEqual(metricValues(second.metrics), metricValues(first.metrics));
    const store = await openStore(url);
    try {
      const stored = await store.find({}, { sort: { _id: 1 } });
      assert.deepEqual(
        stored.map((r) => [r.status, r.result]),
        [
          ['COMPLETED', first.run.result],
          ['COMPLETED', first.run.result],
        ],
      );
    } finally {
      await store.close();
    }
  } finally {
    await rm(home, { recursive: true, force: true });
    await server.dispose();
  }
});
