// The example's parts, without a run: the deterministic digit split, the
// backend choice, and both networks learning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '@ritual/core';
import { requireTfjsNode } from '../support/tfjs-node.js';
import { availableSamples, loadMnist } from '../../examples/mnist/data.js';
import { loadTfjs } from '../../examples/mnist/backend.js';
import { trainMnist } from '../../examples/mnist/training.js';

const key = (images: Float32Array, k: number) =>
  Buffer.from(images.buffer, images.byteOffset + k * 784 * 4, 784 * 4).toString('base64');

test('digit split: balanced, disjoint, and the test set does not move with trainSize', () => {
  assert.equal(availableSamples(), 10_000);
  const { train, test: held } = loadMnist(1000, 500);
  assert.equal(train.size, 1000);
  assert.equal(held.size, 500);
  const counts = new Array(10).fill(0);
  for (const label of train.labels) counts[label]++;
  assert.deepEqual(counts, new Array(10).fill(100), 'round-robin order: any prefix is class-balanced');
  for (let i = 0; i < train.images.length; ++i) assert.ok(train.images[i]! >= 0 && train.images[i]! <= 1);

  const trainKeys = new Set(Array.from({ length: train.size }, (_, k) => key(train.images, k)));
  const overlap = Array.from({ length: held.size }, (_, k) => key(held.images, k)).filter((k) => trainKeys.has(k));
  assert.equal(overlap.length, 0, 'no test digit is a training digit');

  const bigger = loadMnist(3000, 500);
  assert.deepEqual(bigger.test.labels, held.labels);
  assert.ok(
    Buffer.from(bigger.test.images.buffer).equals(Buffer.from(held.images.buffer)),
    'same test digits whatever trainSize',
  );
  assert.ok(
    Buffer.from(bigger.train.images.buffer, 0, 1000 * 784 * 4).equals(Buffer.from(train.images.buffer)),
    'a larger train set extends the smaller one',
  );
});

test('digit split: sizes that do not fit are refused with a hint', () => {
  assert.throws(() => loadMnist(9500, 1000), /exceeds the 10000 digits.*trainSize=9000/);
  assert.throws(() => loadMnist(0, 10), /trainSize must be a positive integer/);
  assert.throws(() => loadMnist(10, 2.5), /testSize must be a positive integer/);
});

test('backend choice: cpu and wasm on request, bad names refused', async () => {
  assert.equal((await loadTfjs('cpu')).backend, 'cpu');
  assert.equal((await loadTfjs('wasm')).backend, 'wasm');
  await assert.rejects(
    loadTfjs('gpu'),
    (e: unknown) => e instanceof UsageError && /auto, tfjs-node, wasm, cpu/.test(e.message),
  );
});

test('backend choice: tfjs-node on request, and auto prefers it when it loads', async (t) => {
  if (!requireTfjsNode(t)) return;
  assert.equal((await loadTfjs('tfjs-node')).backend, 'tensorflow');
  assert.equal((await loadTfjs('auto')).backend, 'tensorflow');
});

test('both networks learn the digits (small sizes, wasm)', async () => {
  const { tf } = await loadTfjs('wasm');
  const base = { lr: 0.003, epochs: 2, batchSize: 32, trainSize: 600, testSize: 300, validationSplit: 0 };
  for (const model of [
    { type: 'cnn', filters: [4], kernelSize: 3, hidden: 32, dropout: 0.1 },
    { type: 'mlp', filters: [], kernelSize: 3, hidden: 64, dropout: 0.1 },
  ]) {
    const result = await trainMnist(tf, { ...base, model });
    assert.ok(result.testAcc > 0.5, `${model.type}: test accuracy ${result.testAcc} should be far above chance (0.1)`);
    assert.ok(result.history['loss']![1]! < result.history['loss']![0]!, `${model.type}: loss falls`);
    result.model.dispose();
  }
  await assert.rejects(
    trainMnist(tf, { ...base, model: { type: 'rnn', filters: [], kernelSize: 3, hidden: 8, dropout: 0 } }),
    /'cnn' or 'mlp'/,
  );
});
