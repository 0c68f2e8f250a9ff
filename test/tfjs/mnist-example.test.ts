// Issue 6: the real example, `fast` on wasm. Two runs with one seed store
// bitwise-identical weights, identical metrics and result; a replay of the
// stored config reproduces it; the stored model, loaded back, scores the
// stored result on the test digits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadModel, registerWasmConv2DBackpropFilter } from '@ritual/core';
import { openStore } from '@ritual/observers';
import { REPO_ROOT, assertExited, metricValues, readRun, runScript } from './child-run.js';
import { loadMnist } from '../../examples/mnist/data.js';

const TRAIN = join(REPO_ROOT, 'examples', 'mnist', 'train.ts');

test('fast MNIST on wasm: same seed twice and a replay give identical weights, metrics and result', {
  timeout: 120_000,
}, async () => {
  const home = await mkdtemp(join(tmpdir(), 'ritual-mnist-'));
  try {
    // INIT_CWD is where `npm start` was typed; the example stores runs in <INIT_CWD>/runs.
    // npm_config_local_prefix (the project root, as under `npm test`) is set to the same folder, as for a user at the root.
    // Two runs with one seed, in parallel (each in its own store); the replay starts once run 1 stored its config.
    for (const name of ['first', 'second', 'replay']) await mkdir(join(home, name));
    const runFast = (name: string) =>
      runScript(TRAIN, ['with', 'fast', 'backend=wasm', 'seed=20261127'], {
        env: { INIT_CWD: join(home, name), npm_config_local_prefix: join(home, name) },
      });
    const secondRun = runFast('second');
    const first = await runFast('first');
    assertExited(first, 'first fast run');
    assert.match(first.stdout, /Run 1 stored in runs\/1\./);
    assert.match(first.stdout, /npm run ritual -- show runs 1/);
    const replay = await runScript(TRAIN, ['with', join(home, 'first', 'runs', '1', 'config.json')], {
      env: { INIT_CWD: join(home, 'replay'), npm_config_local_prefix: join(home, 'replay') },
    });
    assertExited(replay, 'replay of run 1');
    assertExited(await secondRun, 'second fast run');

    const a = await readRun(join(home, 'first', 'runs'), 1);
    assert.equal(a.run.status, 'COMPLETED');
    assert.equal(typeof a.run.result, 'number');
    assert.ok((a.run.result as number) > 0.5, `a fast CNN should beat chance by far, got ${a.run.result}`);
    assert.ok(a.run.artifacts.includes('model/model.json') && a.run.artifacts.includes('model/weights.bin'));
    const weights = await a.artifact('model/weights.bin');
    for (const name of ['second', 'replay']) {
      const b = await readRun(join(home, name, 'runs'), 1);
      assert.equal(b.run.result, a.run.result, `${name}: result`);
      assert.ok((await b.artifact('model/weights.bin')).equals(weights), `${name}: weights must be bitwise identical`);
      assert.deepEqual(metricValues(b.metrics), metricValues(a.metrics));
    }
    assert.deepEqual(Object.keys(metricValues(a.metrics)).sort(), [
      'acc',
      'batch.acc',
      'batch.loss',
      'loss',
      'test.acc',
      'test.loss',
      'val_acc',
      'val_loss',
    ]);
    const info = JSON.parse(await readFile(join(home, 'first', 'runs', '1', 'info.json'), 'utf8'));
    // Recorded by the run itself: what the numbers depend on besides the seed.
    assert.equal(info.reproducibility.seed, 20261127);
    assert.equal(info.reproducibility.tfjs.backend, 'wasm');
    assert.equal(typeof info.reproducibility.tfjs.wasm_simd, 'boolean');

    // The stored model, loaded back, gives the stored test accuracy exactly.
    await tf.setBackend('wasm');
    registerWasmConv2DBackpropFilter(tf);
    const model = await loadModel<tf.LayersModel>(tf, join(home, 'first', 'runs'), 1);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['acc'] });
    const config = a.config as { trainSize: number; testSize: number };
    const { test: digits } = loadMnist(config.trainSize, config.testSize);
    const x = tf.tensor4d(digits.images, [digits.size, 28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d(digits.labels, 'int32'), 10);
    const [, acc] = model.evaluate(x, y, { batchSize: 500 }) as tf.Scalar[];
    assert.equal((await acc!.data())[0], a.run.result);

    // Through the store API (what `ritual` and MongoDB users go through): the same predictions.
    const store = await openStore(join(home, 'first', 'runs'));
    try {
      const viaStore = await loadModel<tf.LayersModel>(tf, store, 1);
      const p1 = await (model.predict(x) as tf.Tensor).data();
      const p2 = await (viaStore.predict(x) as tf.Tensor).data();
      assert.ok(
        Buffer.from(p2.buffer).equals(Buffer.from(p1.buffer)),
        'predictions through the store must be bitwise equal',
      );
    } finally {
      await store.close();
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
