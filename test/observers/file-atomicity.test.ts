import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileRunStore } from '@ritual/observers';
import { bundleWriterChild } from './file-child-bundle.js';
import { makeExperiment, tempDir } from './file-fixtures.js';

const KILLS = 12;

/** Start a writer that beats forever; resolve once it has beaten a few times. */
function startWriter(child: string, runsDir: string, experimentFile: string) {
  const proc = spawn(process.execPath, [child, runsDir, experimentFile, 'forever'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  return { proc, ready, exited };
}

test(`a writer killed with SIGKILL at ${KILLS} random moments leaves runs readable by the store and JSON.parse`, {
  timeout: 90_000,
}, async () => {
  const base = await tempDir();
  const child = await bundleWriterChild();
  const experimentFile = join(base, 'experiment.json');
  await writeFile(experimentFile, JSON.stringify(await makeExperiment(join(base, 'src'))));
  const runsDir = join(base, 'runs');

  for (let kill = 0; kill < KILLS; kill += 1) {
    const writer = startWriter(child, runsDir, experimentFile);
    await writer.ready;
    // Test code may use Math.random: the moment of the kill is what we vary.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 150));
    writer.proc.kill('SIGKILL');
    await writer.exited;
  }

  const folders = (await readdir(runsDir)).filter((name) => /^\d+$/.test(name));
  assert.equal(folders.length, KILLS);
  for (const folder of folders) {
    const dir = join(runsDir, folder);
    for (const file of ['run.json', 'config.json', 'info.json', 'metrics.json']) {
      const text = await readFile(join(dir, file), 'utf8');
      assert.doesNotThrow(() => JSON.parse(text), `${folder}/${file} must stay valid JSON after the kill`);
    }
    const run = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8'));
    assert.equal(run.status, 'RUNNING');
    // Artifacts appear under their names only complete (copied to a temp name, then renamed).
    for (const name of run.artifacts as string[]) {
      const lines = (await readFile(join(dir, name), 'utf8')).split('\n');
      assert.equal(lines.length, 1001, `${folder}/${name} is complete`);
      assert.match(lines[0] ?? '', /^written by \d+$/);
      assert.ok(lines.slice(0, 1000).every((line) => line === lines[0]));
    }
  }

  const warnings: string[] = [];
  const store = await FileRunStore.open(runsDir, {
    onCorrupt: (id, error) => warnings.push(`${id}: ${error.message}`),
  });
  const runs = await store.find({});
  assert.deepEqual(warnings, []);
  assert.equal(runs.length, KILLS);
  for (const stored of runs) {
    const full = await store.get(stored._id);
    assert.match(full.captured_out ?? '', /^(beat \d+\n)+(beat \d+)?$/, 'cout.txt holds whole beats in order');
    const series = await store.metrics(stored._id);
    assert.deepEqual(
      series.map((s) => s.name),
      ['acc', 'loss'],
    );
    for (const { steps, values, timestamps } of series) {
      // The log is complete up to the last whole flush: steps 0..n-1 without gaps.
      assert.ok(steps.length >= 200, `at least the 4 beats before "ready", got ${steps.length}`);
      assert.deepEqual(
        steps,
        Array.from({ length: steps.length }, (_, i) => i),
      );
      assert.equal(values.length, steps.length);
      assert.equal(timestamps.length, steps.length);
    }
    // metrics.json (what Sacred readers see) is a valid prefix of the log.
    const materialised = JSON.parse(await readFile(join(runsDir, String(stored._id), 'metrics.json'), 'utf8'));
    const loss = series.find((s) => s.name === 'loss');
    assert.ok((materialised.loss?.steps.length ?? 0) <= (loss?.steps.length ?? 0));
    assert.deepEqual(materialised.loss?.steps ?? [], loss?.steps.slice(0, materialised.loss?.steps.length ?? 0));
  }
});

test('writers killed while starting: every JSON file present parses, find reports unfinished folders instead of crashing', {
  timeout: 60_000,
}, async () => {
  const base = await tempDir();
  const child = await bundleWriterChild();
  const experimentFile = join(base, 'experiment.json');
  await writeFile(experimentFile, JSON.stringify(await makeExperiment(join(base, 'src'))));
  const runsDir = join(base, 'runs');
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      const writer = startWriter(child, runsDir, experimentFile);
      writer.ready.catch(() => undefined); // it may die before "ready": that is the point
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 200));
      writer.proc.kill('SIGKILL');
      await writer.exited;
    }),
  );
  let folders: string[] = [];
  try {
    folders = (await readdir(runsDir)).filter((name) => /^\d+$/.test(name));
  } catch {
    folders = []; // killed before even creating the runs folder
  }
  for (const folder of folders) {
    for (const file of ['run.json', 'config.json', 'info.json', 'metrics.json']) {
      let text: string | undefined;
      try {
        text = await readFile(join(runsDir, folder, file), 'utf8');
      } catch {
        continue; // not written yet when killed
      }
      assert.doesNotThrow(() => JSON.parse(text as string), `${folder}/${file} is whole`);
    }
  }
  if (folders.length === 0) return;
  const reported: string[] = [];
  const store = await FileRunStore.open(runsDir, { onCorrupt: (id) => reported.push(String(id)) });
  const runs = await store.find({});
  assert.equal(runs.length + reported.length, folders.length, 'each folder is either a readable run or reported');
  for (const stored of runs) await store.metrics(stored._id);
});
