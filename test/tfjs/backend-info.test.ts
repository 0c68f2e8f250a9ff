// describeTfjs records what a tfjs result depends on: version, backend, wasm flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describeTfjs } from '../../packages/core/src/tfjs/backend-info.js';

test('cpu backend: version and backend name, JSON-storable', async () => {
  await tf.setBackend('cpu');
  const info = describeTfjs(tf);
  assert.equal(info.backend, 'cpu');
  assert.equal(info.version, tf.version.tfjs);
  assert.equal(info.versions['tfjs-core'], tf.version_core);
  assert.deepEqual(JSON.parse(JSON.stringify(info)), info);
});

test('wasm backend: SIMD and multithread flags are recorded as booleans', async () => {
  await tf.setBackend('wasm');
  const info = describeTfjs(tf);
  assert.equal(info.backend, 'wasm');
  assert.equal(typeof info.flags['WASM_HAS_SIMD_SUPPORT'], 'boolean');
  assert.equal(typeof info.flags['WASM_HAS_MULTITHREAD_SUPPORT'], 'boolean');
  assert.equal(info.flags['WASM_HAS_SIMD_SUPPORT'], tf.env().getBool('WASM_HAS_SIMD_SUPPORT'));
});

test('the public API of @ritual/core exports the tfjs integration', async () => {
  const core = await import('@ritual/core');
  for (const name of ['registerWasmConv2DBackpropFilter', 'createTfjsCallback', 'saveModel', 'loadModel', 'describeTfjs']) {
    assert.equal(typeof (core as Record<string, unknown>)[name], 'function', name);
  }
});
