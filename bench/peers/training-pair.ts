/**
 * Benchmark 5, training overhead: the MNIST example with and without ritual,
 * measured by bench/training-overhead.ts (its owner's module, loaded only
 * when this benchmark runs so a broken tfjs setup fails this row alone).
 * Sacred has no TensorFlow.js counterpart, so the row has no peer.
 */
import type { TrainingConfig } from '../../examples/mnist/training.js';
import type { BenchResult } from '../report.js';
import { median } from '../statistics.js';

export interface TrainingPairOptions {
  repeats: number;
  smoke: boolean;
}

/** Small enough to finish in seconds; only proves the benchmark still runs. */
const SMOKE_TRAINING: Partial<TrainingConfig> = {
  trainSize: 256,
  testSize: 128,
  batchSize: 64,
  model: { type: 'mlp', filters: [4], kernelSize: 3, hidden: 16, dropout: 0 },
};

export async function runTrainingPair(options: TrainingPairOptions): Promise<BenchResult> {
  const { runTrainingBench, DEFAULT_TRAINING } = await import('../training-overhead.js');
  const training: TrainingConfig = options.smoke ? { ...DEFAULT_TRAINING, ...SMOKE_TRAINING } : DEFAULT_TRAINING;
  const result = await runTrainingBench({ repeats: options.repeats, training, log: () => {} });
  const describe = `${training.model.type} on ${training.trainSize} digits, ${training.epochs} epoch(s), batch ${training.batchSize}, ${result.backend} backend`;
  return {
    figures: [
      {
        benchmark: 'training',
        name: 'MNIST wall time with / without ritual',
        unit: 'ratio',
        ours: result.ratio,
        peer: null,
        target: `<= ${result.target}`,
        pass: result.ratio <= result.target,
        note:
          `${describe}, seed ${result.seed} in both arms (${result.identicalWork ? 'identical work: equal test accuracy in every run' : 'WORK DIFFERED: test accuracies not equal'}); ` +
          `file observer, per-batch metrics, 1 s heartbeat, output capture; median of ${options.repeats} alternating pairs, ratio within each pair ` +
          `(bare ${(result.bareMedianMs / 1000).toFixed(2)} s, ritual ${(result.ritualMedianMs / 1000).toFixed(2)} s; during fit alone ${result.trainingRatio.toFixed(3)}; ` +
          `start and end of a run ${median(result.ritualStartMs).toFixed(0)} + ${median(result.ritualEndMs).toFixed(0)} ms; ` +
          `CPU ratio ${result.cpuRatio.toFixed(3)}${result.netRatio !== null ? `; net of waiting for a CPU held by other jobs ${result.netRatio.toFixed(3)}` : ''}).`,
      },
    ],
    details: result,
  };
}
