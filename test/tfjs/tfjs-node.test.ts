// Issue 14: training on tfjs-node under the experiment's own flags. With
// `-C fd` and `-C sys` on the command line, importing tfjs-node inside main
// works (node-pre-gyp used to read `-C` as its --directory) because main sees
// only the words the experiment did not consume; `-C fd` captures the lines
// TensorFlow's C++ writes straight to fd 2; a model saved with run.saveModel
// loads back on tfjs-node with the same predictions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '@ritual/core';
import { cpuVectorExtensions } from '../../packages/core/src/capture/native-tensorflow.js';
import { requireTfjsNode } from '../support/tfjs-node.js';
import { REPO_ROOT, assertExited, readRun, runScript } from './child-run.js';

const SCRIPT = join(REPO_ROOT, 'test', 'tfjs', 'fixtures', 'tfjs-node-experiment.ts');
/** TensorFlow's own log format: `I tensorflow/core/util/util.cc:169] oneDNN custom operations are on...`. */
const NATIVE_LOG_LINE = /[IWE] tensorflow\/\S+\.cc:\d+\] /;

interface SmokeResult {
  argv: string[];
  backend: string;
  weights: string;
  prediction: number[];
}

for (const capture of ['fd', 'sys'] as const) {
  test(`tfjs-node loads and trains under -C ${capture}; main sees none of the experiment's flags`, async (t) => {
    if (!requireTfjsNode(t)) return;
    const store = await mkdtemp(join(tmpdir(), `ritual-tfjs-node-${capture}-`));
    try {
      // TF_CPP_MIN_LOG_LEVEL=0: TensorFlow's info lines (the default, stated so an outer setting cannot hide them).
      const child = await runScript(SCRIPT, ['-C', capture, '-F', store, 'with', 'epochs=2'], {
        env: { TF_CPP_MIN_LOG_LEVEL: '0' },
      });
      assertExited(child, `-C ${capture} run`);
      const stored = await readRun(store, 1);
      const result = stored.run.result as SmokeResult;
      assert.equal(stored.run.status, 'COMPLETED');
      assert.equal(result.backend, 'tensorflow');
      assert.deepEqual(result.argv, [], 'main runs with process.argv = [node, script]');
      assert.equal(stored.config['epochs'], 2);
      const cout = await readFile(join(store, '1', 'cout.txt'), 'utf8');
      if (capture === 'fd') {
        assert.match(cout, NATIVE_LOG_LINE, 'TensorFlow C++ log lines (fd 2) are in cout.txt under -C fd');
      } else {
        // -C sys sees only what goes through process.stdout/stderr; the native lines bypass it (why fd exists).
        assert.doesNotMatch(cout, NATIVE_LOG_LINE);
        assert.match(child.stderr, NATIVE_LOG_LINE, 'the native lines still reach the terminal');
      }

      // The stored model loads back on tfjs-node and predicts exactly what the run's model predicted.
      // Through a variable: tfjs-node is installed by `npm run setup:tfjs-node`, not by npm ci, so the type check
      // (which CI runs first) must not need its declarations; it has the same API as @tensorflow/tfjs.
      const tfjsNode = '@tensorflow/tfjs-node';
      const tf = (await import(tfjsNode)) as typeof import('@tensorflow/tfjs');
      const loaded = await loadModel<import('@tensorflow/tfjs').LayersModel>(tf, store, 1);
      const xs = Float32Array.from({ length: 12 }, (_, i) => ((i * 7919) % 101) / 101);
      const prediction = Array.from(
        (loaded.predict(tf.tensor2d(xs, [2, 6])) as import('@tensorflow/tfjs').Tensor).dataSync(),
      );
      assert.deepEqual(prediction, result.prediction);
      loaded.dispose();
    } finally {
      await rm(store, { recursive: true, force: true });
    }
  });
}

test('info.reproducibility records the native settings; a replay under other settings names each difference', async (t) => {
  if (!requireTfjsNode(t)) return;
  const store = await mkdtemp(join(tmpdir(), 'ritual-tfjs-node-native-'));
  try {
    const first = await runScript(SCRIPT, ['-F', join(store, 'first')], {
      env: { TF_ENABLE_ONEDNN_OPTS: '0', TF_NUM_INTRAOP_THREADS: '2' },
    });
    assertExited(first, 'run with oneDNN off and 2 threads');
    const info = JSON.parse(await readFile(join(store, 'first', '1', 'info.json'), 'utf8'));
    const tfjs = info.reproducibility.tfjs;
    assert.equal(tfjs.backend, 'tensorflow');
    assert.equal(tfjs.backend_package, '@tensorflow/tfjs-node==4.22.0');
    assert.deepEqual(tfjs.native, {
      libtensorflow: '2.9.1',
      env: {
        TF_ENABLE_ONEDNN_OPTS: '0',
        ONEDNN_MAX_CPU_ISA: process.env.ONEDNN_MAX_CPU_ISA ?? null,
        TF_NUM_INTRAOP_THREADS: '2',
        TF_NUM_INTEROP_THREADS: process.env.TF_NUM_INTEROP_THREADS ?? null,
        OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? null,
      },
      cpu_vector_extensions: cpuVectorExtensions(),
    });
    assert.ok(tfjs.native.cpu_vector_extensions.includes('avx2') || process.arch !== 'x64', 'x64 CPUs list avx2');

    const config = join(store, 'first', '1', 'config.json');
    const [same, other] = await Promise.all([
      runScript(SCRIPT, ['with', config, '-F', join(store, 'same')], {
        env: { TF_ENABLE_ONEDNN_OPTS: '0', TF_NUM_INTRAOP_THREADS: '2' },
      }),
      runScript(SCRIPT, ['with', config, '-F', join(store, 'other')], {
        env: { TF_ENABLE_ONEDNN_OPTS: '1', TF_NUM_INTRAOP_THREADS: '4', TF_CPP_MIN_LOG_LEVEL: '0' },
      }),
    ]);
    assertExited(same, 'replay with the same settings');
    assertExited(other, 'replay with other settings');
    assert.doesNotMatch(same.stderr, /other native settings/);
    const warnings = other.stderr.split('\n').filter((line) => line.includes('other native settings'));
    assert.deepEqual(
      warnings.map((line) => line.replace(/^.*results will differ: /, '')),
      ['TF_ENABLE_ONEDNN_OPTS was 0, is 1', 'TF_NUM_INTRAOP_THREADS was 2, is 4'],
    );
    // Said before training: the warning precedes the first line main's tfjs-node load prints.
    assert.ok(other.stderr.indexOf(warnings[0]!) < other.stderr.search(NATIVE_LOG_LINE));
  } finally {
    await rm(store, { recursive: true, force: true });
  }
});
