import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { FileRunStore } from '@ritual/observers';
import { bundleWriterChild } from './file-child-bundle.js';
import { makeExperiment, tempDir } from './file-fixtures.js';

const run = promisify(execFile);
const PROCESSES = 50;

test(`${PROCESSES} processes starting runs into one folder at once get ${PROCESSES} distinct ids and ${PROCESSES} complete runs`, {
  timeout: 180_000,
}, async () => {
  const base = await tempDir();
  const child = await bundleWriterChild();
  const experimentFile = join(base, 'experiment.json');
  await writeFile(experimentFile, JSON.stringify(await makeExperiment(join(base, 'src'))));
  const runsDir = join(base, 'runs');

  const outputs = await Promise.all(
    Array.from({ length: PROCESSES }, () =>
      run(process.execPath, [child, runsDir, experimentFile, 'once'], { timeout: 150_000 }),
    ),
  );
  const ids = outputs.map(({ stdout }) => Number(stdout.trim()));
  assert.equal(new Set(ids).size, PROCESSES, `distinct ids, got ${ids.join(',')}`);
  assert.deepEqual(
    [...ids].sort((a, b) => a - b),
    Array.from({ length: PROCESSES }, (_, i) => i + 1),
  );

  const warnings: string[] = [];
  const store = await FileRunStore.open(runsDir, {
    onCorrupt: (id, error) => warnings.push(`${id}: ${error.message}`),
  });
  const runs = await store.find({ status: 'COMPLETED' });
  assert.deepEqual(warnings, []);
  assert.equal(runs.length, PROCESSES);
  const pids = new Set(runs.map((r) => r.config.pid));
  assert.equal(pids.size, PROCESSES, 'each folder holds the run of a different process');
  for (const stored of runs) {
    assert.deepEqual(stored.artifacts, ['checkpoints/beat-0.txt', 'final.txt']);
    const [acc, loss] = await store.metrics(stored._id);
    assert.equal(acc?.steps.length, 50);
    assert.equal(loss?.steps.length, 50);
    const cout = await readFile(join(runsDir, String(stored._id), 'cout.txt'), 'utf8');
    assert.equal(cout, 'beat 0\n');
  }
  // Sources were stored once, shared by all 50 runs, and are complete.
  const first = runs[0]?.experiment.sources[0]?.[1] as string;
  assert.ok(runs.every((r) => r.experiment.sources[0]?.[1] === first));
  assert.equal(await readFile(join(runsDir, first), 'utf8'), 'console.log("train");\n');
});
