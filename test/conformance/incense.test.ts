/**
 * incense (PyPI), a reader of Sacred runs no one on this project wrote,
 * loads runs written by ritual's FileStorageObserver: config, metrics as
 * pandas series, artifacts, captured output, also for queued and running runs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FileStorageObserver } from '@ritual/observers';
import { host, makeExperiment, meta, startedEvent, tempDir } from '../observers/file-fixtures.js';
import { pythonEnvOrSkip } from '../support/python-env.js';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));

test('incense FileSystemExperimentLoader loads ritual runs: config, metrics as series, artifacts', {
  timeout: 600_000,
}, async (t) => {
  const env = await pythonEnvOrSkip();
  if ('skip' in env) return t.skip(env.skip);
  const base = await tempDir('ritual-incense-');
  const runsDir = join(base, 'runs');
  const experiment = await makeExperiment(join(base, 'src'));
  const modelFile = join(base, 'model.json');
  await writeFile(modelFile, '{"layers": [128, 10]}');
  const observer = new FileStorageObserver(runsDir);

  // Run 1: complete, with metrics over two flushes and artifacts (one in a subfolder).
  const t0 = Date.now();
  await observer.started(startedEvent(experiment, { config: { lr: 0.01, model: { hidden: 128 }, seed: 7 } }));
  await observer.logMetrics({
    runId: 1,
    info: {},
    metrics: [{ name: 'loss', steps: [0, 1], values: [0.9, 0.5], timestamps: [t0, t0 + 1] }],
  });
  await observer.heartbeat({
    runId: 1,
    info: { note: 'hi' },
    capturedOutDelta: 'epoch 1\n',
    beatTime: new Date(),
    result: null,
  });
  await observer.logMetrics({
    runId: 1,
    info: {},
    metrics: [
      { name: 'loss', steps: [2], values: [0.25], timestamps: [t0 + 2] },
      { name: 'acc', steps: [10, 20], values: [0.5, 0.75], timestamps: [t0 + 3, t0 + 4] },
    ],
  });
  await observer.heartbeat({
    runId: 1,
    info: { note: 'hi' },
    capturedOutDelta: 'epoch 2\n',
    beatTime: new Date(),
    result: null,
  });
  await observer.artifactAdded({ runId: 1, name: 'model.json', path: modelFile });
  await observer.artifactAdded({ runId: 1, name: 'checkpoints/model.json', path: modelFile });
  await observer.completed({ runId: 1, stopTime: new Date(), result: 0.75 });
  await observer.close();

  // Run 2: queued. Run 3: still running, with a NaN loss.
  await observer.queued({
    runId: null,
    experiment,
    command: 'main',
    host,
    queueTime: new Date(),
    config: { lr: 0.1 },
    meta,
  });
  await observer.close();
  await observer.started(startedEvent(experiment, { config: { lr: 1 } }));
  await observer.logMetrics({
    runId: 3,
    info: {},
    metrics: [{ name: 'loss', steps: [0, 1], values: [2, Number.NaN], timestamps: [t0, t0] }],
  });
  await observer.heartbeat({ runId: 3, info: {}, capturedOutDelta: '', beatTime: new Date(), result: null });

  const { stdout } = await run(env.python, [join(HERE, 'incense_load.py'), runsDir, '1', '2', '3'], {
    timeout: 120_000,
  });
  await observer.close();
  const loaded = JSON.parse(stdout);

  const first = loaded['1'];
  assert.equal(first.id, 1);
  assert.equal(first.status, 'COMPLETED');
  assert.equal(first.name, 'mnist');
  assert.deepEqual(first.config, { lr: 0.01, model: { hidden: 128 }, seed: 7 });
  assert.deepEqual(first.info, { note: 'hi' });
  assert.equal(first.result, 0.75);
  assert.equal(first.captured_out, 'epoch 1\nepoch 2\n');
  assert.deepEqual(first.metrics, {
    acc: { steps: [10, 20], values: [0.5, 0.75], index_name: 'step' },
    loss: { steps: [0, 1, 2], values: [0.9, 0.5, 0.25], index_name: 'step' },
  });
  // incense lists the plain files of a run folder other than its reserved four; it skips folders,
  // so ritual's .ritual/ log and the subfolder artifact stay out, and info.json shows up as it does for Sacred's runs.
  assert.deepEqual(Object.keys(first.artifacts).sort(), ['info.json', 'model.json']);
  assert.equal(first.artifacts['model.json'], '{"layers": [128, 10]}');

  assert.equal(loaded['2'].status, 'QUEUED');
  assert.deepEqual(loaded['2'].config, { lr: 0.1 });
  assert.deepEqual(loaded['2'].metrics, {});

  assert.equal(loaded['3'].status, 'RUNNING');
  assert.deepEqual(
    loaded['3'].metrics.loss.values,
    [2, 'NaN'],
    "a NaN stored as Sacred's bare NaN token reads back as NaN in pandas",
  );
});
