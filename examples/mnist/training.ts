/**
 * The training itself, free of ritual: load the digits, build the model,
 * fit, evaluate. train.ts wraps it in an experiment; tests and the overhead
 * benchmark call it directly.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { IMAGE_SIZE, NUM_CLASSES, loadMnist } from './data.js';
import { buildModel, type ModelConfig } from './model.js';

export interface TrainingConfig {
  lr: number;
  epochs: number;
  batchSize: number;
  trainSize: number;
  testSize: number;
  /** Share of the training set held out for val_loss / val_acc each epoch (0 for none). */
  validationSplit: number;
  model: ModelConfig;
}

export interface TrainingResult {
  model: tfjs.LayersModel;
  history: Record<string, number[]>;
  testLoss: number;
  testAcc: number;
}

export async function trainMnist(
  tf: typeof tfjs,
  config: TrainingConfig,
  callbacks: tfjs.ModelFitArgs['callbacks'] = [],
): Promise<TrainingResult> {
  const { train, test } = loadMnist(config.trainSize, config.testSize);
  const model = buildModel(tf, config.model, config.lr);
  const [xTrain, yTrain, xTest, yTest] = tf.tidy(() => [
    tf.tensor4d(train.images, [train.size, IMAGE_SIZE, IMAGE_SIZE, 1]),
    tf.oneHot(tf.tensor1d(train.labels, 'int32'), NUM_CLASSES),
    tf.tensor4d(test.images, [test.size, IMAGE_SIZE, IMAGE_SIZE, 1]),
    tf.oneHot(tf.tensor1d(test.labels, 'int32'), NUM_CLASSES),
  ]);
  try {
    // shuffle: true draws a permutation from Math.random each epoch: seeded by ritual.
    const history = await model.fit(xTrain, yTrain, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      validationSplit: config.validationSplit,
      shuffle: true,
      verbose: 0,
      callbacks,
    });
    const [lossT, accT] = model.evaluate(xTest, yTest, { batchSize: 500 }) as tfjs.Scalar[];
    const testLoss = (await lossT!.data())[0]!;
    const testAcc = (await accT!.data())[0]!;
    tf.dispose([lossT!, accT!]);
    return { model, history: history.history as Record<string, number[]>, testLoss, testAcc };
  } finally {
    tf.dispose([xTrain!, yTrain!, xTest!, yTest!]);
  }
}
