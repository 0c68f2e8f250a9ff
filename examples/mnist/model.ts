/**
 * The two networks of the example: a small CNN (default) and an MLP (the
 * `mlp` named config). Initializers and dropout draw from Math.random, which
 * ritual seeds, so no per-layer seeds are needed for reproducible runs.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { IMAGE_SIZE, NUM_CLASSES } from './data.js';

export interface ModelConfig {
  /** 'cnn': conv/pool blocks then a dense layer; 'mlp': dense layers only. */
  type: string;
  /** Filters of each conv block (cnn only). */
  filters: number[];
  kernelSize: number;
  /** Units of the hidden dense layer. */
  hidden: number;
  dropout: number;
}

export function buildModel(tf: typeof tfjs, cfg: ModelConfig, lr: number): tfjs.LayersModel {
  if (cfg.type !== 'cnn' && cfg.type !== 'mlp')
    throw new RangeError(`model.type must be 'cnn' or 'mlp', got ${JSON.stringify(cfg.type)}.`);
  const model = tf.sequential();
  model.add(tf.layers.inputLayer({ inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1] }));
  if (cfg.type === 'cnn') {
    for (const filters of cfg.filters) {
      model.add(tf.layers.conv2d({ filters, kernelSize: cfg.kernelSize, activation: 'relu' }));
      model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    }
  }
  model.add(tf.layers.flatten());
  if (cfg.type === 'cnn' && cfg.dropout > 0) model.add(tf.layers.dropout({ rate: cfg.dropout }));
  model.add(tf.layers.dense({ units: cfg.hidden, activation: 'relu' }));
  if (cfg.type === 'mlp' && cfg.dropout > 0) model.add(tf.layers.dropout({ rate: cfg.dropout }));
  model.add(tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(lr), loss: 'categoricalCrossentropy', metrics: ['acc'] });
  return model;
}
