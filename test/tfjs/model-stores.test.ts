// run.saveModel inside a real run, then loadModel back through each store
// (a runs folder, MongoDB/GridFS): the loaded model predicts the same bits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Experiment, loadModel } from '@ritual/core';
import { openStore } from '@ritual/observers';
import { startMongoServer } from '../support/mongo.js';

const input = () =>
  tf.tensor2d(
    Array.from({ length: 4 * 5 }, (_, i) => ((i * 13) % 7) / 7),
    [4, 5],
  );

/** An experiment whose main trains a little model, saves it and returns its predictions. */
function modelExperiment() {
  return new Experiment('save-model').config({ units: 3 }).main(async ({ config, run }) => {
    await tf.setBackend('cpu');
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [5], units: config.units, activation: 'softmax' })],
    });
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    await model.fit(input(), tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3), { epochs: 2, verbose: 0 });
    const names = await run.saveModel(model, 'net');
    assert.deepEqual(names, ['net/model.json', 'net/weights.bin']);
    return Array.from(await (model.predict(input()) as tf.Tensor).data());
  });
}

async function predictionsOf(model: tf.LayersModel): Promise<number[]> {
  return Array.from(await (model.predict(input()) as tf.Tensor).data());
}

test('file store: saved in a run, loaded from the folder and from openStore', async () => {
  const runs = await mkdtemp(join(tmpdir(), 'ritual-model-store-'));
  try {
    const run = await modelExperiment().run({ options: { fileStorage: runs } });
    assert.equal(run.status, 'COMPLETED');
    const expected = run.result as number[];
    assert.deepEqual(await predictionsOf(await loadModel(tf, runs, run.id!, 'net')), expected);
    const store = await openStore(runs);
    try {
      assert.deepEqual(await predictionsOf(await loadModel(tf, store, run.id!, 'net')), expected);
      const listed = (await store.artifacts(run.id!)).map((a) => a.name).sort();
      assert.deepEqual(listed, ['net/model.json', 'net/weights.bin']);
    } finally {
      await store.close();
    }
  } finally {
    await rm(runs, { recursive: true, force: true });
  }
});

test('MongoDB store: saved as GridFS artifacts, loaded back with the same predictions', {
  timeout: 120_000,
}, async () => {
  const server = await startMongoServer({ persistent: false });
  const url = `${server.url}/ritual_tfjs_models`;
  try {
    const run = await modelExperiment().run({ options: { mongoDb: url } });
    assert.equal(run.status, 'COMPLETED');
    const store = await openStore(url);
    try {
      const loaded = await loadModel<tf.LayersModel>(tf, store, run.id!, 'net');
      assert.deepEqual(await predictionsOf(loaded), run.result);
    } finally {
      await store.close();
    }
  } finally {
    await server.dispose();
  }
});
