// The example's default config: what `npm start` trains, and what the training
// benchmark (bench/training-overhead.ts) measures, so the two cannot drift apart.
import type { TrainingConfig } from './training.js';

export const DEFAULT_CONFIG = {
  /** 'auto' picks tfjs-node, else wasm, else cpu. */
  backend: 'auto',
  lr: 0.002,
  epochs: 2,
  batchSize: 64,
  trainSize: 4000,
  testSize: 1000,
  validationSplit: 0.1,
  model: { type: 'cnn', filters: [8, 16], kernelSize: 3, hidden: 64, dropout: 0.25 },
  /** 'batch' also logs batch.loss / batch.acc on every batch. */
  logEvery: 'batch',
  saveModel: true,
} satisfies TrainingConfig & Record<string, unknown>;
