/**
 * A child process that writes runs with the FileStorageObserver, for the
 * race and kill tests. Bundled by file-child-bundle.ts so that 50 of them
 * start in milliseconds instead of compiling TypeScript each.
 *
 *   node child.mjs <runsDir> <experiment.json> once   -> one complete run, prints its id
 *   node child.mjs <runsDir> <experiment.json> forever -> beats until killed, prints "beat <n>"
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExperimentInfo } from '@ritual/core';
import { FileStorageObserver } from '../../packages/observers/src/file/observer.js';
import { startedEvent } from './file-fixtures.js';

const [runsDir, experimentFile, mode] = process.argv.slice(2) as [string, string, string];
const experiment = JSON.parse(await readFile(experimentFile, 'utf8')) as ExperimentInfo;
const observer = new FileStorageObserver(runsDir);
const runId = await observer.started(startedEvent(experiment, { config: { lr: 0.01, pid: process.pid } }));
const artifact = join(experimentFile, '..', `artifact-${process.pid}.txt`);
await writeFile(artifact, `written by ${process.pid}\n`.repeat(1000));

async function beat(n: number): Promise<void> {
  const now = Date.now();
  const steps = Array.from({ length: 50 }, (_, i) => n * 50 + i);
  await observer.logMetrics({
    runId,
    info: {},
    metrics: [
      { name: 'loss', steps, values: steps.map((s) => 1 / (s + 1)), timestamps: steps.map(() => now) },
      { name: 'acc', steps, values: steps.map((s) => s / (s + 1)), timestamps: steps.map(() => now) },
    ],
  });
  await observer.heartbeat({
    runId,
    info: { beats: n },
    capturedOutDelta: `beat ${n}\n`,
    beatTime: new Date(),
    result: n,
  });
  if (n % 5 === 0) await observer.artifactAdded({ runId, name: `checkpoints/beat-${n}.txt`, path: artifact });
}

if (mode === 'once') {
  await beat(0);
  await observer.artifactAdded({ runId, name: 'final.txt', path: artifact });
  await observer.completed({ runId, stopTime: new Date(), result: 0.5 });
  await observer.close();
  process.stdout.write(`${runId}\n`);
} else {
  for (let n = 0; ; n += 1) {
    await beat(n);
    if (n === 3) process.stdout.write('ready\n');
  }
}
