/**
 * Training overhead of ritual: wall time of the same MNIST training with and
 * without an experiment around it (file observer, per-batch metrics through
 * the tfjs callback, a heartbeat every second, output capture). Target: a
 * ratio of at most 1.02; MLflow and W&B users report 2x-3x (pytorch-lightning
 * issue 3393, wandb issue 8666).
 *
 * The two arms alternate (bare, ritual, ritual, bare, ...) after one warm-up
 * of each, so drift of a shared machine hits both alike; medians are reported.
 * The ritual arm is timed around the whole `ex.run()` (capture at start,
 * observers, final flush included), and inside main around the training.
 *
 *   node --conditions=source --import tsx bench/training-overhead.ts [repeats]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Experiment, createTfjsCallback } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import { loadTfjs } from '../examples/mnist/backend.js';
import { trainMnist, type TrainingConfig } from '../examples/mnist/training.js';
import { median } from './statistics.js';

export interface TrainingBenchOptions {
  /** Timed runs of each arm (default 5), after one untimed warm-up of each. */
  repeats?: number;
  /** 'auto' | 'wasm' | 'cpu' | 'tfjs-node' (default 'wasm', what CI has). */
  backend?: string;
  /** Overrides of the training config (default: the example's CNN on 2000 digits, 1 epoch). */
  training?: Partial<TrainingConfig>;
  /** Seconds between heartbeats in the ritual arm (default 1). */
  beatInterval?: number;
  /** Progress lines (default: console.error, so stdout keeps only the report). */
  log?: (line: string) => void;
}

export interface TrainingBenchResult {
  backend: string;
  bareMs: number[];
  ritualMs: number[];
  /** Time inside main around the training only, per ritual run. */
  ritualTrainingMs: number[];
  /**
   * CPU time (user + system, this process) per run of each arm. Far less
   * sensitive than wall time to other jobs on a shared machine, so it is the
   * figure to trust when the wall-time spread is wide.
   */
  bareCpuMs: number[];
  ritualCpuMs: number[];
  /** median(ritualCpuMs) / median(bareCpuMs). */
  cpuRatio: number;
  bareMedianMs: number;
  ritualMedianMs: number;
  ritualTrainingMedianMs: number;
  /** ritualMedianMs / bareMedianMs. */
  ratio: number;
  /** ritualTrainingMedianMs / bareMedianMs: the cost during fit alone. */
  trainingRatio: number;
  target: number;
}

const TARGET = 1.02;

export const DEFAULT_TRAINING: TrainingConfig = {
  lr: 0.002,
  epochs: 1,
  batchSize: 64,
  trainSize: 2000,
  testSize: 1000,
  validationSplit: 0.1,
  model: { type: 'cnn', filters: [8, 16], kernelSize: 3, hidden: 64, dropout: 0.25 },
};

export async function runTrainingBench(opts: TrainingBenchOptions = {}): Promise<TrainingBenchResult> {
  const repeats = opts.repeats ?? 5;
  const log = opts.log ?? ((line: string) => console.error(line));
  const training: TrainingConfig = { ...DEFAULT_TRAINING, ...opts.training };
  const { tf, backend } = await loadTfjs(opts.backend ?? 'wasm');
  const runsDir = await mkdtemp(join(tmpdir(), 'ritual-bench-training-'));

  let insideMs = 0;
  const ex = new Experiment('training-overhead').config(training as unknown as Record<string, unknown>);
  ex.observe(new FileStorageObserver(runsDir));
  ex.main(async ({ run }) => {
    const t0 = performance.now();
    const result = await trainMnist(tf, training, [createTfjsCallback(run, { every: 'batch', progress: false })]);
    insideMs = performance.now() - t0;
    result.model.dispose();
    return result.testAcc;
  });

  const cpuMs = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1000;
  };
  const bare = async (): Promise<[number, number]> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await trainMnist(tf, training);
    const ms = performance.now() - t0;
    const cpu = cpuMs(c0);
    result.model.dispose();
    return [ms, cpu];
  };
  const withRitual = async (): Promise<[number, number]> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await ex.run({ options: { beatInterval: opts.beatInterval ?? 1 } });
    return [performance.now() - t0, cpuMs(c0)];
  };

  const bareMs: number[] = [];
  const ritualMs: number[] = [];
  const ritualTrainingMs: number[] = [];
  const bareCpuMs: number[] = [];
  const ritualCpuMs: number[] = [];
  try {
    log(`warm-up (${backend})...`);
    await bare();
    await withRitual();
    for (let i = 0; i < repeats; ++i) {
      // ABBA order: each arm runs first half of the time.
      const order = i % 2 === 0 ? (['bare', 'ritual'] as const) : (['ritual', 'bare'] as const);
      for (const arm of order) {
        if (arm === 'bare') {
          const [ms, cpu] = await bare();
          bareMs.push(ms);
          bareCpuMs.push(cpu);
        } else {
          const [ms, cpu] = await withRitual();
          ritualMs.push(ms);
          ritualCpuMs.push(cpu);
          ritualTrainingMs.push(insideMs);
        }
      }
      log(`  ${i + 1}/${repeats}: bare ${fmt(bareMs.at(-1)!)} (cpu ${fmt(bareCpuMs.at(-1)!)})  ritual ${fmt(ritualMs.at(-1)!)} (cpu ${fmt(ritualCpuMs.at(-1)!)}, training ${fmt(insideMs)})`);
    }
  } finally {
    await rm(runsDir, { recursive: true, force: true });
  }
  const bareMedianMs = median(bareMs);
  const ritualMedianMs = median(ritualMs);
  const ritualTrainingMedianMs = median(ritualTrainingMs);
  return {
    backend,
    bareMs,
    ritualMs,
    ritualTrainingMs,
    bareCpuMs,
    ritualCpuMs,
    cpuRatio: median(ritualCpuMs) / median(bareCpuMs),
    bareMedianMs,
    ritualMedianMs,
    ritualTrainingMedianMs,
    ratio: ritualMedianMs / bareMedianMs,
    trainingRatio: ritualTrainingMedianMs / bareMedianMs,
    target: TARGET,
  };
}

export function formatTrainingBench(r: TrainingBenchResult, training: TrainingConfig = DEFAULT_TRAINING): string {
  const list = (xs: number[]) => xs.map(fmt).join(' ');
  return [
    `training overhead: ${training.model.type} on ${training.trainSize} digits x ${training.epochs} epoch(s), batch ${training.batchSize}, ${r.backend} backend`,
    `  ritual arm: file observer, per-batch metrics, heartbeat every 1 s, output capture`,
    `  bare     median ${fmt(r.bareMedianMs)}   [${list(r.bareMs)}]`,
    `  ritual   median ${fmt(r.ritualMedianMs)}   [${list(r.ritualMs)}]   (training inside main: median ${fmt(r.ritualTrainingMedianMs)})`,
    `  cpu      bare median ${fmt(median(r.bareCpuMs))}, ritual median ${fmt(median(r.ritualCpuMs))}: ratio ${r.cpuRatio.toFixed(3)} (robust to other jobs on the machine)`,
    `  ratio    ${r.ratio.toFixed(3)} whole run, ${r.trainingRatio.toFixed(3)} training only   (target <= ${r.target})  ${r.ratio <= r.target ? 'OK' : 'OVER TARGET'}`,
  ].join('\n');
}

function fmt(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const repeats = process.argv[2] ? Number(process.argv[2]) : undefined;
  const result = await runTrainingBench(repeats !== undefined ? { repeats } : {});
  console.log(formatTrainingBench(result));
}
