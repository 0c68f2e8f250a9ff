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
      const tf = (await import('@tensorflow/tfjs-node')) as unknown as typeof import('@tensorflow/tfjs');
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
