import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describeReproducibility } from '../../packages/core/src/capture/reproducibility.js';

const mainFile = fileURLToPath(import.meta.url);
const require = createRequire(import.meta.url);
const installedCore = (
  JSON.parse(readFileSync(require.resolve('@tensorflow/tfjs-core/package.json'), 'utf8')) as { version: string }
).version;

test('without tfjs loaded: node version only, and describing does not load tfjs', async () => {
  assert.deepEqual(await describeReproducibility({ mainFile }), { node_version: process.versions.node, tfjs: null });
  assert.equal((globalThis as { _tfengine?: unknown })._tfengine, undefined);
  assert.ok(
    !Object.keys(require.cache).some((file) => file.includes('tfjs-core')),
    "!Object.keys(require.cache).some((file) => file.includes('tfjs-core'))",
  );
});

test('with tfjs loaded: version, and the active backend as it changes (cpu, then wasm with its flags)', async () => {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  await import('@tensorflow/tfjs-backend-wasm');

  // Loaded but no backend chosen yet.
  const before = await describeReproducibility({ mainFile });
  assert.equal(before.tfjs?.version, installedCore);
  assert.equal(before.tfjs?.version, tf.version_core);

  assert.ok(await tf.setBackend('cpu'), "await tf.setBackend('cpu')");
  const cpu = await describeReproducibility({ mainFile });
  const cpuVersion = (
    JSON.parse(readFileSync(require.resolve('@tensorflow/tfjs-backend-cpu/package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  assert.deepEqual(cpu, {
    node_version: process.versions.node,
    tfjs: { version: tf.version_core, backend: 'cpu', backend_package: `@tensorflow/tfjs-backend-cpu==${cpuVersion}` },
  });

  assert.ok(await tf.setBackend('wasm'), "await tf.setBackend('wasm')");
  const wasm = await describeReproducibility({ mainFile });
  assert.equal(wasm.tfjs?.backend, 'wasm');
  assert.match(wasm.tfjs?.backend_package ?? '', /^@tensorflow\/tfjs-backend-wasm==\d+\.\d+\.\d+/);
  assert.equal(wasm.tfjs?.wasm_simd, tf.env().getBool('WASM_HAS_SIMD_SUPPORT'));
  assert.equal(wasm.tfjs?.wasm_threads, tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'));
  assert.equal(typeof wasm.tfjs?.wasm_simd, 'boolean');
});
