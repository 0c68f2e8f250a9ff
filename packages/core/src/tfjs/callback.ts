/**
 * A `model.fit` callback that logs every metric tfjs reports into a run.
 *
 * Names and steps (what a plot of a run shows):
 * - per epoch, always: each key fit reports, unchanged (`loss`, `acc`,
 *   `val_loss`, `val_acc`, `mse`...), at step = tfjs's epoch index (0-based,
 *   so `initialEpoch` is respected). When the same callback serves a second
 *   `fit` whose epochs restart at 0, steps continue after the last one
 *   instead of repeating;
 * - per batch, with `every: 'batch'`: each key as `batch.<key>`
 *   (`batch.loss`, `batch.acc`) at step = the callback's running batch count
 *   across epochs and fits (0-based). tfjs's own `batch`/`size` entries are
 *   bookkeeping, not metrics, and are skipped;
 * - `prefix` (e.g. `'gen.'`) is put in front of every name, for runs that
 *   train several models.
 *
 * Cost: with `every: 'epoch'` and no progress bar the returned object has no
 * batch hook at all, so tfjs does not read each batch's loss back from the
 * backend (it only does when a custom callback asks for batch logs). Names
 * are built once per key, not per call.
 *
 * Progress: on a TTY (default: `process.stdout.isTTY`) a one-line bar per
 * epoch; see progress-bar.ts. Nothing is drawn when output is not a terminal.
 *
 * Yields: tfjs turns every plain-object callback into a CustomCallback that
 * yields to the event loop (setImmediate) every 125 ms of training, so that
 * timers and I/O run meanwhile. On tfjs-node, on a loaded machine, each such
 * turn cost far more than the turn itself (bench/thread-cpu.ts, CPU per
 * 114-batch training, 4 rounds at load 10-50: a no-op callback added
 * 0.17-0.22 s on the threads other than main, ~20 % of TensorFlow's; with
 * the turns replaced by a resolved promise, none; at load ~5, no difference
 * either way). The
 * callback hands tfjs its own `nextFrameFunc` that turns the event loop at
 * most every YIELD_EVERY_MS and resolves at once otherwise: the heartbeat,
 * sampling and signals still run during fit, up to that much later. While a
 * beat's observer I/O is in flight (event-loop-demand.ts) it yields at every
 * batch instead, so that the beat reaches disk within a few batches rather
 * than a round trip a second.
 */
import { UsageError } from '../errors.js';
import { turnsNeeded } from '../event-loop-demand.js';
import { ProgressBar, type ProgressStream } from './progress-bar.js';

/** Where metrics go: a Run, or anything with its `logScalar`. */
export interface ScalarSink {
  logScalar(name: string, value: number, step?: number): void;
}

export interface TfjsCallbackOptions {
  /** 'epoch' (default): epoch metrics only. 'batch': epoch metrics plus `batch.<key>` per batch. */
  every?: 'batch' | 'epoch';
  /** Draw a progress bar; default: when the stream is a TTY. */
  progress?: boolean;
  /** Put in front of every metric name, e.g. 'gen.' -> 'gen.loss'. */
  prefix?: string;
  /** Where the progress bar goes (default process.stdout). */
  stream?: ProgressStream;
}

/** Logs as tfjs hands them to callbacks (scalars already resolved to numbers). */
export type TfjsLogs = Record<string, unknown>;

/**
 * The plain-object callback shape `model.fit({ callbacks })` accepts. tfjs
 * calls these as methods of its own wrapper, whose `params` (epochs, steps,
 * samples, batchSize) the hooks read through `this` when available.
 */
export interface TfjsCallback {
  onTrainBegin?(this: unknown, logs?: TfjsLogs): Promise<void> | void;
  onTrainEnd?(this: unknown, logs?: TfjsLogs): Promise<void> | void;
  onEpochBegin?(this: unknown, epoch: number, logs?: TfjsLogs): Promise<void> | void;
  onEpochEnd?(this: unknown, epoch: number, logs?: TfjsLogs): Promise<void> | void;
  onBatchEnd?(this: unknown, batch: number, logs?: TfjsLogs): Promise<void> | void;
  /** What tfjs awaits to yield to the event loop (CustomCallbackArgs.nextFrameFunc); see YIELD_EVERY_MS. */
  nextFrameFunc?(): Promise<void>;
}

/** tfjs's fit parameters, as set on the callback wrapper (`this.params`). */
interface FitParams {
  epochs?: number;
  steps?: number | null;
  samples?: number | null;
  batchSize?: number;
}

/**
 * Least time between two turns of the event loop from inside fit. A heartbeat (10 s by default) or a system
 * sample is late by at most this much; Ctrl-C is handled within it.
 */
export const YIELD_EVERY_MS = 1000;

/** Keys of batch logs that describe the batch rather than measure the model. */
const BOOKKEEPING_KEYS = new Set(['batch', 'size']);

export function createTfjsCallback(sink: ScalarSink, options: TfjsCallbackOptions = {}): TfjsCallback {
  if (typeof sink?.logScalar !== 'function') {
    throw new UsageError(
      'createTfjsCallback(sink) needs an object with logScalar(name, value, step), such as the run passed to your main function.',
    );
  }
  const every = options.every ?? 'epoch';
  if (every !== 'epoch' && every !== 'batch') {
    throw new UsageError(`tfjsCallback({ every }) must be 'epoch' or 'batch', not ${JSON.stringify(every)}.`);
  }
  const prefix = options.prefix ?? '';
  const stream = options.stream ?? process.stdout;
  const bar = (options.progress ?? stream.isTTY === true) ? new ProgressBar(stream) : undefined;

  const epochNames = new Map<string, string>();
  const batchNames = new Map<string, string>();
  const nameOf = (cache: Map<string, string>, key: string, head: string): string => {
    let name = cache.get(key);
    if (name === undefined) {
      name = `${prefix}${head}${key}`;
      cache.set(key, name);
    }
    return name;
  };

  let lastEpochStep = -1;
  let epochStepOffset = 0;
  let batchStep = 0;
  let batchesThisEpoch = 0;
  let currentEpoch = 0;
  /** Batches per epoch when tfjs's params are not reachable: learned from the first epoch. */
  let learnedBatches: number | undefined;
  let params: FitParams | undefined;
  let lastYield = performance.now();

  const totalBatches = (): number | undefined => {
    if (params?.steps != null && params.steps > 0) return params.steps;
    if (params?.samples != null && params.batchSize) return Math.ceil(params.samples / params.batchSize);
    return learnedBatches;
  };

  const callback: TfjsCallback = {
    onTrainBegin(this: unknown) {
      params = readParams(this);
    },
    onEpochBegin(this: unknown, epoch: number) {
      params ??= readParams(this);
      batchesThisEpoch = 0;
      currentEpoch = epoch;
      // A new fit restarting at epoch 0 continues the step axis instead of overwriting it.
      if (epoch + epochStepOffset <= lastEpochStep) epochStepOffset = lastEpochStep + 1 - epoch;
      bar?.startEpoch();
    },
    onEpochEnd(epoch: number, logs?: TfjsLogs) {
      const step = epoch + epochStepOffset;
      lastEpochStep = step;
      const shown: Array<[string, number]> | undefined = bar ? [] : undefined;
      if (logs) {
        for (const key in logs) {
          const value = logs[key];
          if (typeof value !== 'number') continue;
          sink.logScalar(nameOf(epochNames, key, ''), value, step);
          shown?.push([key, value]);
        }
      }
      if (batchesThisEpoch > 0) learnedBatches ??= batchesThisEpoch;
      bar?.endEpoch(epoch, params?.epochs, batchesThisEpoch, shown ?? []);
    },
    onTrainEnd() {
      bar?.finish();
    },
    nextFrameFunc() {
      const now = performance.now();
      if (now - lastYield < YIELD_EVERY_MS && !turnsNeeded()) return RESOLVED;
      lastYield = now;
      return nextTurn();
    },
  };

  if (every === 'batch' || bar) {
    callback.onBatchEnd = (_batch: number, logs?: TfjsLogs) => {
      batchesThisEpoch++;
      if (every === 'batch' && logs) {
        for (const key in logs) {
          if (BOOKKEEPING_KEYS.has(key)) continue;
          const value = logs[key];
          if (typeof value === 'number') sink.logScalar(nameOf(batchNames, key, 'batch.'), value, batchStep);
        }
      }
      batchStep++;
      if (bar) {
        const loss = logs?.loss;
        bar.batch(
          currentEpoch,
          params?.epochs,
          batchesThisEpoch,
          totalBatches(),
          typeof loss === 'number' ? loss : undefined,
        );
      }
      // tfjs asks nextFrameFunc at most every 125 ms; a beat in flight gets a turn every batch.
      if (turnsNeeded()) {
        lastYield = performance.now();
        return nextTurn();
      }
      return undefined;
    };
  }
  return callback;
}

const RESOLVED: Promise<void> = Promise.resolve();

/** Resolves after one turn of the event loop: I/O that completed meanwhile gets its callbacks run. */
function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

function readParams(self: unknown): FitParams | undefined {
  if (typeof self !== 'object' || self === null) return undefined;
  const p = (self as { params?: unknown }).params;
  return typeof p === 'object' && p !== null ? (p as FitParams) : undefined;
}
