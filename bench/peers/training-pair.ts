/**
 * Benchmark 5, training overhead: the MNIST example with and without ritual,
 * measured by bench/training-overhead.ts (its owner's module, loaded only
 * when this benchmark runs so a broken tfjs setup fails this row alone).
 * Sacred has no TensorFlow.js counterpart, so the row has no peer. Rows per
 * backend: wasm always, tfjs-node where it is provisioned (else a row that
 * says it was skipped).
 */
import type { TrainingConfig } from '../../examples/mnist/training.js';
import type { BenchResult, Figure } from '../report.js';
import type { RatioInterval, TrainingBenchResult } from '../training-overhead.js';
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
  const { runTrainingBench, tfjsNodeAvailable, DEFAULT_TRAINING, TFJS_NODE_SKIPPED } = await import(
    '../training-overhead.js'
  );
  const training: TrainingConfig = options.smoke ? { ...DEFAULT_TRAINING, ...SMOKE_TRAINING } : DEFAULT_TRAINING;
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  // wasm first: it is what CI has, and a tfjs-node failure must not cost its row.
  for (const backend of ['wasm', 'tfjs-node'] as const) {
    if (backend === 'tfjs-node' && !(await tfjsNodeAvailable())) {
      figures.push({
        benchmark: 'training',
        name: `MNIST wall time with / without ritual, ${backend}`,
        unit: 'ratio',
        ours: null,
        peer: null,
        target: '<= 1.02',
        pass: null,
        note: TFJS_NODE_SKIPPED,
      });
      details[backend] = { skipped: TFJS_NODE_SKIPPED };
      continue;
    }
    const result = await runTrainingBench({ backend, repeats: options.repeats, training, log: () => {} });
    figures.push(...trainingFigures(backend, result, training, options.repeats));
    details[backend] = result;
  }
  return { figures, details };
}

function trainingFigures(
  backend: string,
  result: TrainingBenchResult,
  training: TrainingConfig,
  repeats: number,
): Figure[] {
  const describe = `${training.model.type} on ${training.trainSize} digits, ${training.epochs} epoch(s), batch ${training.batchSize}, ${result.backend} backend`;
  const net = (value: number | null, unit = '') =>
    value === null ? '' : `; net of waiting for a CPU ${value.toFixed(3)}${unit}`;
  const interval = (ci: RatioInterval | null) =>
    ci === null
      ? ''
      : `; ${(ci.confidence * 100).toFixed(0)}% confidence interval of the median ${ci.low.toFixed(3)}-${ci.high.toFixed(3)}`;
  return [
    {
      benchmark: 'training',
      name: `MNIST wall time with / without ritual, ${backend}`,
      unit: 'ratio',
      ours: result.ratio,
      peer: null,
      target: `<= ${result.target}`,
      pass: result.ratio <= result.target,
      note:
        `${describe}, seed ${result.seed} in both arms (${result.identicalWork ? 'identical work: equal test accuracy in every run' : 'WORK DIFFERED: test accuracies not equal'}); ` +
        `file observer, per-batch metrics, 1 s heartbeat, output capture; median of ${repeats} alternating pairs, ratio within each pair ` +
        `(bare ${(result.bareMedianMs / 1000).toFixed(2)} s, ritual ${(result.ritualMedianMs / 1000).toFixed(2)} s; ` +
        `start and end of a run ${median(result.ritualStartMs).toFixed(0)} + ${median(result.ritualEndMs).toFixed(0)} ms; ` +
        `CPU ratio ${result.cpuRatio.toFixed(3)}${net(result.netRatio)}${interval(result.ratioInterval)}).`,
    },
    {
      benchmark: 'training',
      name: `MNIST fit only with / without ritual, ${backend}`,
      unit: 'ratio',
      ours: result.trainingRatio,
      peer: null,
      target: `<= ${result.fitTarget}`,
      pass: result.trainingRatio <= result.fitTarget,
      note: `model.fit and evaluate inside main against the bare training${net(result.trainingNetRatio)}${interval(result.trainingRatioInterval)}.`,
    },
    {
      benchmark: 'training',
      name: `ritual's cost per batch during fit, ${backend}`,
      unit: 'us',
      ours: result.perBatchUs.fit,
      peer: null,
      target: '',
      pass: null,
      note:
        `(ritual - bare) / ${result.batches} batches, median over pairs; a bare batch takes ${((result.bareMedianMs / result.batches) * 1000).toFixed(0)} us; ` +
        `whole run ${result.perBatchUs.whole.toFixed(0)} us per batch` +
        `${result.perBatchUs.fitNet !== null ? `; net of waiting for a CPU: ${result.perBatchUs.fitNet.toFixed(0)} us fit, ${result.perBatchUs.wholeNet?.toFixed(0)} us whole` : ''}.`,
    },
  ];
}
