/**
 * Training overhead of ritual: wall time of the same MNIST training with and
 * without an experiment around it (file observer, per-batch metrics through
 * the tfjs callback given tf, as the example passes it, a heartbeat every
 * second, output capture). Target: a
 * ratio of at most 1.02; MLflow and W&B users report 2x-3x (pytorch-lightning
 * issue 3393, wandb issue 8666).
 *
 * Made decisive on a shared, noisy machine by three choices:
 * - identical work: both arms train from the same seed (the bare arm installs
 *   the very Math.random stream ritual installs for that seed), so weights,
 *   shuffles and dropout masks are the same and so is the arithmetic. With a
 *   fresh seed per run the work itself varies by ~10 % (the conv gradient
 *   kernel skips zero activations, and how many there are depends on the
 *   initial weights). Equal test accuracies in every run prove it;
 * - pairs: the arms alternate (bare, ritual, ritual, bare, ...) after one
 *   warm-up of each, and each ratio is taken within a pair, then the median
 *   of the pairs is reported, so drift of the machine's load cancels;
 * - the main thread's clock (Linux schedstat, see thread-clock.ts): wall time
 *   minus the time the thread waited for a CPU held by other jobs, i.e. the
 *   wall time of an idle machine. CPU time (all threads) is reported too.
 * The ritual arm is timed around the whole `ex.run()` (capture at start,
 * observers, final flush included), and inside main around the training, so
 * the fixed costs at the start and the end of a run are reported apart.
 *
 * Both backends: wasm (what CI has) and tfjs-node (native TensorFlow, ~3x
 * faster steps, so ritual's per-batch cost weighs ~3x more). tfjs-node is
 * skipped, with a line saying so, where it is not provisioned
 * (`npm run setup:tfjs-node`). Per-batch cost = (ritual - bare) / batches, in
 * us, the median over pairs.
 *
 *   node --conditions=@ritual/source --import tsx bench/training-overhead.ts [pairs] [backend...]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import seedrandom from 'seedrandom';
import type * as tfjs from '@tensorflow/tfjs';
import { Experiment, createTfjsCallback } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import { MissingDependencyError } from '@ritual/core';
import { loadTfjs } from '../examples/mnist/backend.js';
import { DEFAULT_CONFIG } from '../examples/mnist/config.js';
import { trainMnist, type TrainingConfig } from '../examples/mnist/training.js';
import { median, medianInterval } from './statistics.js';
import { readThreadClock, threadClockSince, type ThreadClock } from './thread-clock.js';

export interface TrainingBenchOptions {
  /** Timed pairs (one run of each arm; default 10), after one untimed warm-up of each. */
  repeats?: number;
  /** 'auto' | 'wasm' | 'cpu' | 'tfjs-node' (default 'wasm', what CI has). */
  backend?: string;
  /** Overrides of the training config (default: the example's own default, its CNN on 4000 digits, 2 epochs). */
  training?: Partial<TrainingConfig>;
  /** Seconds between heartbeats in the ritual arm (default 1). */
  beatInterval?: number;
  /** Seconds between system metric samples in the ritual arm (default: the library's, 10; 0 turns them off). */
  systemInterval?: number;
  /**
   * When set, each pair gains a third arm: a ritual run with this system interval instead (e.g. 0), so
   * that what `systemInterval` itself costs is a ratio within the same round (`control` in the result).
   */
  controlSystemInterval?: number;
  /** The seed of every training in both arms (default 1234). */
  seed?: number;
  /** Progress lines (default: console.error, so stdout keeps only the report). */
  log?: (line: string) => void;
}

export interface TrainingBenchResult {
  backend: string;
  seed: number;
  /** Batches of one training (every epoch), the divisor of the per-batch costs. */
  batches: number;
  epochs: number;
  /**
   * Every training of both arms ended with the same test accuracy: the arms
   * did the same arithmetic, so their difference is ritual's alone. False
   * would mean a nondeterministic backend, and noisier figures.
   */
  identicalWork: boolean;
  bareMs: number[];
  ritualMs: number[];
  /** Time inside main around the training only, per ritual run. */
  ritualTrainingMs: number[];
  /** The same, net of the main thread's wait for a CPU (thread-clock.ts); null off Linux. */
  ritualTrainingNetMs: number[] | null;
  /** Per ritual run: from `ex.run()` until main starts (capture, observers' started, heartbeat start). */
  ritualStartMs: number[];
  /** Per ritual run: from main's return until `ex.run()` resolves (final beat, completed, flush). */
  ritualEndMs: number[];
  /** CPU time (user + system, every thread of this process) per run of each arm. */
  bareCpuMs: number[];
  ritualCpuMs: number[];
  /** Wall time minus the main thread's wait for a CPU (thread-clock.ts), per run; null off Linux. */
  bareNetMs: number[] | null;
  ritualNetMs: number[] | null;
  /** Median over pairs of ritual CPU / bare CPU. */
  cpuRatio: number;
  /** Median over pairs of ritual net / bare net: the ratio an idle machine would show; null off Linux. */
  netRatio: number | null;
  bareMedianMs: number;
  ritualMedianMs: number;
  ritualTrainingMedianMs: number;
  /** Median over pairs of ritual wall / bare wall. */
  ratio: number;
  /** A 95 % confidence interval of that median (statistics.ts, medianInterval); null below 6 pairs. */
  ratioInterval: RatioInterval | null;
  /**
   * With `controlSystemInterval`: the control arm's runs, and medians over rounds of ritual / control
   * (wall, CPU, net): the cost of the system interval alone, ritual's other costs cancelled.
   */
  control: {
    systemInterval: number;
    wallMs: number[];
    cpuMs: number[];
    netMs: number[] | null;
    ratio: number;
    cpuRatio: number;
    netRatio: number | null;
  } | null;
  /** Median over pairs of the ritual run's training alone / bare: the cost during fit. */
  trainingRatio: number;
  /** A 95 % confidence interval of that median; null below 6 pairs. */
  trainingRatioInterval: RatioInterval | null;
  /** The same from net times (an idle machine's fit ratio); null off Linux. */
  trainingNetRatio: number | null;
  /**
   * ritual's cost per batch in us: median over pairs of (ritual - bare) / batches, during fit (`fit`) and
   * for the whole run (`whole`, start and end of the run included), from wall and from net times.
   */
  perBatchUs: { fit: number; fitNet: number | null; whole: number; wholeNet: number | null };
  /** Target of the whole-run ratio. */
  target: number;
  /** Target of the fit-only ratio. */
  fitTarget: number;
}

export type RatioInterval = { low: number; high: number; confidence: number };

const TARGET = 1.02;
const FIT_TARGET = 1.01;
/** The bench's backend names, and tfjs's name of each once active. */
export const BENCH_BACKENDS = { wasm: 'wasm', 'tfjs-node': 'tensorflow' } as const;
export type BenchBackend = keyof typeof BENCH_BACKENDS;

const THREE_ARM_ORDERS = [
  ['bare', 'ritual', 'control'],
  ['control', 'ritual', 'bare'],
  ['ritual', 'control', 'bare'],
  ['bare', 'control', 'ritual'],
  ['control', 'bare', 'ritual'],
  ['ritual', 'bare', 'control'],
] as const;

/**
 * The example's default config, what `npm start` trains: a run of realistic
 * length, so ritual's fixed start and end costs (reported apart) weigh as much
 * as they do for a user, and no more (they were 2-3% of the `fast` config's
 * 2-second training).
 */
export const DEFAULT_TRAINING: TrainingConfig = trainingPart(DEFAULT_CONFIG);

/** Batches model.fit runs in one training: tfjs holds out the last `validationSplit` of the samples. */
export function batchesOf(training: TrainingConfig): number {
  const trainSamples = Math.floor(training.trainSize * (1 - training.validationSplit));
  return Math.ceil(trainSamples / training.batchSize) * training.epochs;
}

/** The fields `trainMnist` takes; backend, logging and saving are the bench's own choices. */
function trainingPart({
  lr,
  epochs,
  batchSize,
  trainSize,
  testSize,
  validationSplit,
  model,
}: TrainingConfig): TrainingConfig {
  return { lr, epochs, batchSize, trainSize, testSize, validationSplit, model };
}

/**
 * One training without ritual from `seed`: Math.random is, for its duration, the very stream ritual installs for
 * a run with that seed (seeding.ts), so it does the work a ritual run of that seed does. Resolves to the test
 * accuracy; the model is disposed.
 */
export async function trainFromSeed(
  tf: typeof tfjs,
  training: TrainingConfig,
  seed: number,
  callbacks: tfjs.ModelFitArgs['callbacks'] = [],
): Promise<number> {
  const previous = Math.random;
  Math.random = seedrandom(String(seed));
  try {
    const result = await trainMnist(tf, training, callbacks);
    result.model.dispose();
    return result.testAcc;
  } finally {
    Math.random = previous;
  }
}

/** One timed run of either arm. */
interface Sample {
  wallMs: number;
  cpuMs: number;
  thread: ThreadClock | null;
  testAcc: number;
}

export async function runTrainingBench(opts: TrainingBenchOptions = {}): Promise<TrainingBenchResult> {
  const repeats = opts.repeats ?? 10;
  const seed = opts.seed ?? 1234;
  const log = opts.log ?? ((line: string) => console.error(line));
  const training: TrainingConfig = { ...DEFAULT_TRAINING, ...opts.training };
  const { tf, backend } = await loadBackend(opts.backend ?? 'wasm');
  const batches = batchesOf(training);
  const runsDir = await mkdtemp(join(tmpdir(), 'ritual-bench-training-'));

  let mainStart = 0;
  let mainEnd = 0;
  let mainThreadAtStart: ThreadClock | null = null;
  let mainThreadInTraining: ThreadClock | null = null;
  const ex = new Experiment('training-overhead').config(training as unknown as Record<string, unknown>);
  ex.observe(new FileStorageObserver(runsDir));
  ex.main(async ({ run }) => {
    mainThreadAtStart = readThreadClock();
    mainStart = performance.now();
    const result = await trainMnist(tf, training, [createTfjsCallback(run, { every: 'batch', progress: false, tf })]);
    mainEnd = performance.now();
    mainThreadInTraining = threadClockSince(mainThreadAtStart);
    result.model.dispose();
    return result.testAcc;
  });

  const measure = async (arm: () => Promise<number>): Promise<Sample> => {
    const thread = readThreadClock();
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const testAcc = await arm();
    const wallMs = performance.now() - t0;
    const used = process.cpuUsage(cpu);
    return { wallMs, cpuMs: (used.user + used.system) / 1000, thread: threadClockSince(thread), testAcc };
  };
  const bare = () => measure(() => trainFromSeed(tf, training, seed));
  let lastStartMs = 0;
  let lastEndMs = 0;
  const withRitual = (systemInterval = opts.systemInterval) =>
    measure(async () => {
      const t0 = performance.now();
      const options = {
        beatInterval: opts.beatInterval ?? 1,
        ...(systemInterval !== undefined ? { systemInterval } : {}),
      };
      const run = await ex.run({ configUpdates: { seed }, options });
      lastStartMs = mainStart - t0;
      lastEndMs = performance.now() - mainEnd;
      return run.result as number;
    });

  const bareRuns: Sample[] = [];
  const ritualRuns: Sample[] = [];
  const controlRuns: Sample[] = [];
  const control = opts.controlSystemInterval;
  const ritualTrainingMs: number[] = [];
  const ritualTrainingNet: Array<number | null> = [];
  const ritualStartMs: number[] = [];
  const ritualEndMs: number[] = [];
  const accuracies = new Set<number>();
  try {
    log(`warm-up (${backend})...`);
    accuracies.add((await bare()).testAcc);
    accuracies.add((await withRitual()).testAcc);
    if (control !== undefined) accuracies.add((await withRitual(control)).testAcc);
    for (let i = 0; i < repeats; ++i) {
      // ABBA order: each arm runs first half of the time. With a control arm, the six orders of three in turn:
      // over six rounds each arm precedes each other one three times.
      const order =
        control === undefined
          ? i % 2 === 0
            ? (['bare', 'ritual'] as const)
            : (['ritual', 'bare'] as const)
          : THREE_ARM_ORDERS[i % THREE_ARM_ORDERS.length]!;
      for (const arm of order) {
        if (arm === 'bare') {
          bareRuns.push(await bare());
        } else if (arm === 'control') {
          const sample = await withRitual(control);
          controlRuns.push(sample);
          accuracies.add(sample.testAcc);
        } else {
          ritualRuns.push(await withRitual());
          ritualTrainingMs.push(mainEnd - mainStart);
          // Set inside main (TypeScript cannot see the closure's assignment).
          const inTraining = mainThreadInTraining as ThreadClock | null;
          ritualTrainingNet.push(inTraining === null ? null : mainEnd - mainStart - inTraining.runQueueMs);
          ritualStartMs.push(lastStartMs);
          ritualEndMs.push(lastEndMs);
        }
      }
      const b = bareRuns.at(-1)!;
      const r = ritualRuns.at(-1)!;
      accuracies.add(b.testAcc).add(r.testAcc);
      log(
        `  ${i + 1}/${repeats}: bare ${fmt(b.wallMs)} (net ${fmtOrNa(netMs(b))}, cpu ${fmt(b.cpuMs)})` +
          `  ritual ${fmt(r.wallMs)} (net ${fmtOrNa(netMs(r))}, cpu ${fmt(r.cpuMs)}, ` +
          `training ${fmt(ritualTrainingMs.at(-1)!)})` +
          (control === undefined
            ? ''
            : `  control ${fmt(controlRuns.at(-1)!.wallMs)} (net ${fmtOrNa(netMs(controlRuns.at(-1)!))}, ` +
              `cpu ${fmt(controlRuns.at(-1)!.cpuMs)})`),
      );
    }
  } finally {
    await rm(runsDir, { recursive: true, force: true });
  }

  const bareMs = bareRuns.map((r) => r.wallMs);
  const ritualMs = ritualRuns.map((r) => r.wallMs);
  const bareNet = bareRuns.map(netMs);
  const ritualNet = ritualRuns.map(netMs);
  const haveNet = [...bareNet, ...ritualNet].every((x) => x !== null);
  const bareNetMs = haveNet ? (bareNet as number[]) : null;
  const ritualNetMs = haveNet ? (ritualNet as number[]) : null;
  const ritualTrainingNetMs = ritualTrainingNet.every((x) => x !== null) && haveNet ? ritualTrainingNet : null;
  // (with - without) / batches, in us, within each pair.
  const perBatch = (a: readonly number[], b: readonly number[]) =>
    median(a.map((x, i) => ((x - b[i]!) * 1000) / batches));
  return {
    backend,
    seed,
    batches,
    epochs: training.epochs,
    identicalWork: accuracies.size === 1,
    bareMs,
    ritualMs,
    ritualTrainingMs,
    ritualTrainingNetMs,
    ritualStartMs,
    ritualEndMs,
    bareCpuMs: bareRuns.map((r) => r.cpuMs),
    ritualCpuMs: ritualRuns.map((r) => r.cpuMs),
    bareNetMs,
    ritualNetMs,
    cpuRatio: pairRatio(
      ritualRuns.map((r) => r.cpuMs),
      bareRuns.map((r) => r.cpuMs),
    ),
    netRatio: bareNetMs && ritualNetMs ? pairRatio(ritualNetMs, bareNetMs) : null,
    bareMedianMs: median(bareMs),
    ritualMedianMs: median(ritualMs),
    ritualTrainingMedianMs: median(ritualTrainingMs),
    ratio: pairRatio(ritualMs, bareMs),
    ratioInterval: medianInterval(pairRatios(ritualMs, bareMs)),
    control:
      control === undefined
        ? null
        : {
            systemInterval: control,
            wallMs: controlRuns.map((r) => r.wallMs),
            cpuMs: controlRuns.map((r) => r.cpuMs),
            netMs: haveNet ? (controlRuns.map(netMs) as number[]) : null,
            ratio: pairRatio(
              ritualMs,
              controlRuns.map((r) => r.wallMs),
            ),
            cpuRatio: pairRatio(
              ritualRuns.map((r) => r.cpuMs),
              controlRuns.map((r) => r.cpuMs),
            ),
            netRatio: haveNet && ritualNetMs ? pairRatio(ritualNetMs, controlRuns.map(netMs) as number[]) : null,
          },
    trainingRatio: pairRatio(ritualTrainingMs, bareMs),
    trainingRatioInterval: medianInterval(pairRatios(ritualTrainingMs, bareMs)),
    trainingNetRatio: ritualTrainingNetMs && bareNetMs ? pairRatio(ritualTrainingNetMs, bareNetMs) : null,
    perBatchUs: {
      fit: perBatch(ritualTrainingMs, bareMs),
      fitNet: ritualTrainingNetMs && bareNetMs ? perBatch(ritualTrainingNetMs, bareNetMs) : null,
      whole: perBatch(ritualMs, bareMs),
      wholeNet: ritualNetMs && bareNetMs ? perBatch(ritualNetMs, bareNetMs) : null,
    },
    target: TARGET,
    fitTarget: FIT_TARGET,
  };
}

/**
 * Loads a backend and makes it the active one: in a process that already
 * loaded the other (the suite runs both), importing a package alone does not
 * switch tfjs's backend.
 */
async function loadBackend(
  choice: string,
): Promise<{ tf: Awaited<ReturnType<typeof loadTfjs>>['tf']; backend: string }> {
  const { tf } = await loadTfjs(choice);
  const wanted = BENCH_BACKENDS[choice as BenchBackend];
  if (wanted !== undefined && tf.getBackend() !== wanted) {
    if (!(await tf.setBackend(wanted))) throw new Error(`tfjs could not switch to the ${wanted} backend.`);
    await tf.ready();
  }
  return { tf, backend: tf.getBackend() };
}

/** Whether this machine can run the tfjs-node arm: the package imports and its native library loads. */
export async function tfjsNodeAvailable(): Promise<boolean> {
  try {
    await loadTfjs('tfjs-node');
    return true;
  } catch (error) {
    if (error instanceof MissingDependencyError) return false;
    throw error;
  }
}

/** The line printed instead of the tfjs-node figures where it is not provisioned. */
export const TFJS_NODE_SKIPPED =
  'tfjs-node: skipped, @tensorflow/tfjs-node is not provisioned here (`npm run setup:tfjs-node` provisions it)';

/** Wall time the run would have taken had its main thread never waited for a CPU held by other jobs. */
function netMs(sample: Sample): number | null {
  return sample.thread === null ? null : sample.wallMs - sample.thread.runQueueMs;
}

/** a[i] / b[i]: each ratio within one pair, so the machine's drift between pairs cancels. */
function pairRatios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, i) => x / b[i]!);
}

/** Median of the pairs' ratios. */
function pairRatio(a: readonly number[], b: readonly number[]): number {
  return median(pairRatios(a, b));
}

export function formatTrainingBench(r: TrainingBenchResult, training: TrainingConfig = DEFAULT_TRAINING): string {
  const list = (xs: readonly number[]) => xs.map(fmt).join(' ');
  const pairs = r.bareMs.length;
  return [
    `training overhead: ${training.model.type} on ${training.trainSize} digits x ${training.epochs} epoch(s), batch ${training.batchSize}, ${r.backend} backend, seed ${r.seed} in both arms`,
    `  ritual arm: file observer, per-batch metrics, heartbeat every 1 s, output capture; ${pairs} alternating pairs, ratios taken within each pair (median)`,
    `  same work in both arms: ${r.identicalWork ? 'yes (equal test accuracy in every run)' : 'NO: test accuracies differ, the backend is not deterministic here'}`,
    `  bare     median ${fmt(r.bareMedianMs)}   [${list(r.bareMs)}]`,
    `  ritual   median ${fmt(r.ritualMedianMs)}   [${list(r.ritualMs)}]`,
    `           training inside main ${fmt(r.ritualTrainingMedianMs)}; start of run ${ms(median(r.ritualStartMs))}, end of run ${ms(median(r.ritualEndMs))} (medians)`,
    r.bareNetMs && r.ritualNetMs
      ? `  net      bare ${fmt(median(r.bareNetMs))}, ritual ${fmt(median(r.ritualNetMs))}: ratio ${r.netRatio!.toFixed(3)} (wall minus waiting for a CPU held by other jobs: an idle machine's ratio)`
      : `  net      n/a (needs Linux schedstat)`,
    `  cpu      bare ${fmt(median(r.bareCpuMs))}, ritual ${fmt(median(r.ritualCpuMs))}: ratio ${r.cpuRatio.toFixed(3)} (every thread of the process)`,
    `  ratio    ${r.ratio.toFixed(3)} whole run${interval(r.ratioInterval)} (target <= ${r.target}), ` +
      `${r.trainingRatio.toFixed(3)} fit only${interval(r.trainingRatioInterval)} (target <= ${r.fitTarget})` +
      `${r.netRatio !== null && r.trainingNetRatio !== null ? `; net: ${r.netRatio.toFixed(3)} whole, ${r.trainingNetRatio.toFixed(3)} fit` : ''}` +
      `  ${verdict(r)}`,
    `  per batch ${us(r.perBatchUs.fit)} added during fit, ${us(r.perBatchUs.whole)} whole run` +
      `${r.perBatchUs.fitNet !== null && r.perBatchUs.wholeNet !== null ? ` (net: ${us(r.perBatchUs.fitNet)} fit, ${us(r.perBatchUs.wholeNet)} whole)` : ''}` +
      `; ${r.batches} batches of ${us((r.bareMedianMs * 1000) / r.batches)} bare (median)`,
  ].join('\n');
}

/** One line per backend: the figures the README's table shows. */
export function formatTrainingSummary(results: readonly TrainingBenchResult[]): string {
  const rows = results.map(
    (r) =>
      `  ${r.backend.padEnd(10)}  epoch ${fmt(r.bareMedianMs / r.epochs)}` +
      `${r.bareNetMs !== null ? ` (net ${fmt(median(r.bareNetMs) / r.epochs)})` : ''}` +
      `  per batch +${us(r.perBatchUs.fit)} fit, +${us(r.perBatchUs.whole)} whole` +
      `  ratio fit ${r.trainingRatio.toFixed(3)}, cpu ${r.cpuRatio.toFixed(3)}, whole ${r.ratio.toFixed(3)}` +
      `${r.netRatio !== null && r.trainingNetRatio !== null ? ` (net fit ${r.trainingNetRatio.toFixed(3)}, whole ${r.netRatio.toFixed(3)})` : ''}`,
  );
  return ['summary (bare epoch time; ritual per batch; medians over pairs):', ...rows].join('\n');
}

function interval(ci: RatioInterval | null): string {
  return ci === null ? '' : ` [${(ci.confidence * 100).toFixed(0)}% CI ${ci.low.toFixed(3)}-${ci.high.toFixed(3)}]`;
}

/**
 * OK when both medians meet their targets; "shown" when both intervals' upper ends do too, so that the
 * noise of this run cannot be what put the medians under.
 */
function verdict(r: TrainingBenchResult): string {
  if (r.ratio > r.target || r.trainingRatio > r.fitTarget) return 'OVER TARGET';
  const shown =
    r.ratioInterval !== null &&
    r.trainingRatioInterval !== null &&
    r.ratioInterval.high <= r.target &&
    r.trainingRatioInterval.high <= r.fitTarget;
  return shown ? 'OK (shown: both intervals within the targets)' : 'OK (medians; an interval reaches past its target)';
}

function us(value: number): string {
  return `${value.toFixed(0)} us`;
}

function fmt(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

function fmtOrNa(ms: number | null): string {
  return ms === null ? 'n/a' : fmt(ms);
}

function ms(value: number): string {
  return `${value.toFixed(0)} ms`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const repeats = process.argv[2] ? Number(process.argv[2]) : undefined;
  const backends = process.argv.length > 3 ? process.argv.slice(3) : Object.keys(BENCH_BACKENDS);
  const results: TrainingBenchResult[] = [];
  for (const backend of backends) {
    if (backend === 'tfjs-node' && !(await tfjsNodeAvailable())) {
      console.log(TFJS_NODE_SKIPPED);
      continue;
    }
    const result = await runTrainingBench({ backend, ...(repeats !== undefined ? { repeats } : {}) });
    console.log(formatTrainingBench(result));
    results.push(result);
  }
  console.log(formatTrainingSummary(results));
}
