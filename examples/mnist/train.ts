/**
 * MNIST with TensorFlow.js, recorded by ritual. From the repository root:
 *
 *   npm start                                  # CNN, default config (about half a minute on 2 cores)
 *   npm start -- with fast                     # about ten seconds
 *   npm start -- with mlp lr=0.01 epochs=2     # the MLP, with updates
 *   npm start -- print_config with full        # show the config only
 *
 * Runs are stored in ./runs (the folder npm was started from) unless the
 * command line names a store (`-F other-runs`, `-m URL`); the run's id and
 * the commands to look at it are printed at the end.
 */
import { relative, resolve } from 'node:path';
import { Experiment } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import { loadTfjs } from './backend.js';
import { DEFAULT_CONFIG } from './config.js';
import { configSchema } from './config-schema.js';
import { trainMnist } from './training.js';

// npm runs workspace scripts inside examples/mnist; INIT_CWD is where the user
// typed `npm start`. Work from there, so that paths on the command line
// (`with runs/3/config.json`, `-F other-runs`) mean what the user sees.
const invokedFrom = process.env.INIT_CWD ?? process.cwd();
if (invokedFrom !== process.cwd()) process.chdir(invokedFrom);
const runsDir = resolve(invokedFrom, 'runs');

export const ex = new Experiment('mnist')
  .config(DEFAULT_CONFIG)
  .namedConfig('fast', { epochs: 1, trainSize: 2000, testSize: 1000 })
  .namedConfig('full', { epochs: 10, trainSize: 9000, testSize: 1000 })
  .namedConfig('mlp', { lr: 0.001, model: { type: 'mlp', hidden: 128, dropout: 0.2 } })
  // lr in (0, 1), backend and logEvery one of their choices, trainSize + testSize <= 10,000: refused before the run.
  .schema(configSchema);

// The default store: only when the command line names none, so `-F other` stores there alone.
const defaultStore = new FileStorageObserver(runsDir);
ex.observeByDefault(defaultStore);

ex.automain(import.meta, async ({ config, run, log }) => {
  const { tf, backend } = await loadTfjs(config.backend);
  // The run records the tfjs version, this backend and its wasm flags by itself (info.reproducibility).
  log.info(
    `tfjs ${tf.version.tfjs} on the ${backend} backend; ${config.model.type} on ${config.trainSize} digits, ${config.epochs} epoch(s)`,
  );

  // config.logEvery is 'batch' | 'epoch', typed from the schema that checked it. Given tf, the callback reads
  // batch values back from the backend once a second rather than at every batch.
  const callback = run.tfjsCallback({ every: config.logEvery, tf });
  const { model, testLoss, testAcc } = await trainMnist(tf, config, [callback]);
  run.logScalar('test.loss', testLoss);
  run.logScalar('test.acc', testAcc);
  if (config.saveModel) await run.saveModel(model); // artifacts model/model.json + model/weights.bin
  model.dispose();

  console.log(`test accuracy ${testAcc.toFixed(4)}, test loss ${testLoss.toFixed(4)}`);
  if (run.id !== null && defaultStore.runDir !== undefined) {
    // `npm run ritual` runs in the project root: name the folder so it resolves from there.
    const projectRoot = process.env.npm_config_local_prefix ?? invokedFrom;
    const where = invokedFrom === projectRoot ? relative(invokedFrom, runsDir) || '.' : runsDir;
    console.log(`Run ${run.id} stored in ${where}/${run.id}. Look at it with:`);
    console.log(`  npm run ritual -- show ${where} ${run.id}`);
    console.log(`  npm run ritual -- ls ${where}`);
  }
  return testAcc;
});
