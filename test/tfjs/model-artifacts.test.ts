// saveModel stores tfjs's own format as run artifacts; loadModel (from a run
// folder or a store's openArtifact) gives back a model with the same predictions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel } from '../../packages/core/src/tfjs/model-artifacts.js';
import { UsageError } from '../../packages/core/src/errors.js';

/** Stores artifacts the way a file-storage run folder does: runDir/<name>. */
class FolderRun {
  added: Array<{ name: string; contentType: string | undefined }> = [];
  constructor(readonly runDir: string) {}
  async addArtifact(path: string, name?: string, options?: { contentType?: string }): Promise<void> {
    const target = join(this.runDir, name ?? 'unnamed');
    await mkdir(dirname(target), { recursive: true });
    await copyFile(path, target);
    this.added.push({ name: name ?? 'unnamed', contentType: options?.contentType });
  }
  /** The RunStore side: open a stored artifact of run `id`. */
  async openArtifact(id: number | string, name: string) {
    assert.equal(id, 7);
    return createReadStream(join(this.runDir, name));
  }
}

function buildModel(): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.flatten(),
      tf.layers.dropout({ rate: 0.3 }),
      tf.layers.dense({ units: 4, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['acc'] });
  return model;
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'ritual-model-test-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('save then load from a run folder: identical weights and predictions', () =>
  withDir(async (dir) => {
    await tf.setBackend('cpu');
    const model = buildModel();
    const x = tf.randomUniform([5, 6, 6, 1], 0, 1, 'float32', 3);
    // Train a step so weights are not the initial ones (and the optimizer config is stored).
    await model.fit(x, tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0], 'int32'), 4), { epochs: 1, verbose: 0 });
    const run = new FolderRun(join(dir, 'runs', '7'));
    const names = await saveModel(run, model);
    assert.deepEqual(names, ['model/model.json', 'model/weights.bin']);
    assert.deepEqual(run.added, [
      { name: 'model/model.json', contentType: 'application/json' },
      { name: 'model/weights.bin', contentType: 'application/octet-stream' },
    ]);
    const json = JSON.parse(await readFile(join(run.runDir, 'model', 'model.json'), 'utf8'));
    assert.deepEqual(json.weightsManifest[0].paths, ['weights.bin']);
    assert.equal(json.format, 'layers-model');

    for (const loaded of [
      await loadModel<tf.LayersModel>(tf, run.runDir),
      await loadModel<tf.LayersModel>(tf, join(dir, 'runs'), 7),
      await loadModel<tf.LayersModel>(tf, run, 7),
    ]) {
      const a = await (model.predict(x) as tf.Tensor).data();
      const b = await (loaded.predict(x) as tf.Tensor).data();
      assert.deepEqual(Array.from(b), Array.from(a));
      const wa = model.getWeights();
      const wb = loaded.getWeights();
      assert.equal(wb.length, wa.length);
      for (let i = 0; i < wa.length; ++i)
        assert.deepEqual(Array.from(await wb[i]!.data()), Array.from(await wa[i]!.data()));
      loaded.dispose();
    }
    model.dispose();
  }));

test('a saved model also loads with plain tf.loadLayersModel from the folder (tfjs file format)', () =>
  withDir(async (dir) => {
    await tf.setBackend('cpu');
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] });
    const run = new FolderRun(dir);
    await saveModel(run, model, 'nets/small');
    const json = JSON.parse(await readFile(join(dir, 'nets', 'small', 'model.json'), 'utf8'));
    const weights = await readFile(join(dir, 'nets', 'small', 'weights.bin'));
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      }),
    );
    const x = tf.tensor2d([[1, 2, 3]]);
    assert.deepEqual(
      Array.from(await (loaded.predict(x) as tf.Tensor).data()),
      Array.from(await (model.predict(x) as tf.Tensor).data()),
    );
  }));

test('includeOptimizer: the loaded model comes back compiled and evaluates like the original', () =>
  withDir(async (dir) => {
    await tf.setBackend('cpu');
    const model = buildModel();
    const x = tf.randomUniform([4, 6, 6, 1], 0, 1, 'float32', 5);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4);
    await model.fit(x, y, { epochs: 2, verbose: 0 });
    const run = new FolderRun(dir);
    await saveModel(run, model, 'model', { includeOptimizer: true });
    const loaded = await loadModel<tf.LayersModel>(tf, dir);
    const evaluate = async (m: tf.LayersModel) =>
      Promise.all((m.evaluate(x, y) as tf.Scalar[]).map(async (s) => (await s.data())[0]));
    assert.deepEqual(await evaluate(loaded), await evaluate(model));
    // Without it (tfjs's default) the model has no training config and must be compiled by the caller.
    await saveModel(run, model, 'plain');
    const plain = await loadModel<tf.LayersModel>(tf, dir, undefined, 'plain');
    assert.throws(() => plain.evaluate(x, y), /compiled/);
  }));

test('missing model and bad arguments give usage errors that say what to do', () =>
  withDir(async (dir) => {
    await assert.rejects(
      loadModel(tf, dir),
      (e: unknown) => e instanceof UsageError && /run\.saveModel/.test(e.message),
    );
    await assert.rejects(
      loadModel(tf, { openArtifact: async () => createReadStream(join(dir, 'x')) }),
      (e: unknown) => e instanceof UsageError && /runId/.test(e.message),
    );
    await assert.rejects(
      saveModel({} as never, {} as never),
      (e: unknown) => e instanceof UsageError && /addArtifact/.test(e.message),
    );
    await assert.rejects(
      saveModel(
        new FolderRun(dir),
        tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] }),
        '../escape',
      ),
      UsageError,
    );
  }));
