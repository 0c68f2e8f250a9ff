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
 * Two forms. Without `tf` the callback is a plain object, which tfjs wraps
 * in its CustomCallback: tfjs then reads every batch's loss and accuracy back
 * from the backend one by one before calling it (so with `every: 'epoch'` and
 * no progress bar the object has no batch hook at all, and nothing is read).
 * Given the tfjs namespace (`{ tf }`), it is a `tf.Callback`, which tfjs
 * hands the batch's values as tensors, unread: it holds them and reads them
 * back together once a second and at each epoch's end (held-batch-values.ts),
 * each point keeping its batch's step and time. On tfjs-node the one-by-one
 * reads cost the example's training ~1 % and the held form nothing
 * measurable (bench/RESULTS.md). Values still held when a run ends (fit
 * threw, Ctrl-C) are read by the run before its final beat. Names are built
 * once per key, not per call.
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
 * than a round trip a second. tfjs asks no `tf.Callback` for turns: that form
 * takes them at the end of a batch, by the same rules.
 */
import { UsageError } from '../errors.js';
import { turnsNeeded } from '../event-loop-demand.js';
import { HeldBatchValues } from './held-batch-values.js';
import { ProgressBar, type ProgressStream } from './progress-bar.js';
import type { ScalarTensorLike, TfjsCallbackNamespaceLike } from './tfjs-types.js';

/** Where metrics go: a Run, or anything with its `logScalar` (`timestamp`: the batch's time, epoch ms). */
export interface ScalarSink {
  logScalar(name: string, value: number, step?: number, timestamp?: number): void;
}

/** A sink that reads held values itself before it stores its points (a Run): see `Run.addPointSource`. */
interface PointSourceHost {
  addPointSource(pull: () => void): () => void;
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
  /**
   * Your tfjs namespace (`import * as tf from '@tensorflow/tfjs-node'`). With it the callback is a
   * `tf.Callback` that reads batch values back from the backend once a second instead of tfjs reading them
   * at every batch (~1 % of a tfjs-node training). Being a `tf.Callback`, it goes in a list of `tf.Callback`s
   * (`tf.callbacks.earlyStopping()`, or a plain object wrapped as `new tf.CustomCallback({...})`), as tfjs
   * requires of any list that holds one.
   */
  tf?: TfjsCallbackNamespaceLike;
}

/** Logs as tfjs hands them to callbacks (a plain object gets numbers; a `tf.Callback`, tensors). */
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

/** Held batch values are read back at the latest when this many wait (a loop of tiny batches). */
const HOLD_AT_MOST = 1024;

/** Keys of batch logs that describe the batch rather than measure the model. */
const BOOKKEEPING_KEYS = new Set(['batch', 'size']);

export function createTfjsCallback<T extends TfjsCallbackNamespaceLike>(
  sink: ScalarSink,
  options: TfjsCallbackOptions & { tf: T },
): InstanceType<T['Callback']> & TfjsCallback;
export function createTfjsCallback(sink: ScalarSink, options?: TfjsCallbackOptions): TfjsCallback;
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
  const { tf } = options;
  if (
    tf !== undefined &&
    (typeof tf?.Callback !== 'function' || typeof tf.clone !== 'function' || typeof tf.stack !== 'function')
  ) {
    throw new UsageError(
      'tfjsCallback({ tf }) needs the tfjs namespace: import * as tf from "@tensorflow/tfjs" (or "@tensorflow/tfjs-node") and pass tf.',
    );
  }
  const stream = options.stream ?? process.stdout;
  const bar = (options.progress ?? stream.isTTY === true) ? new ProgressBar(stream) : undefined;
  const fit = new FitLogger(sink, every === 'batch', options.prefix ?? '', bar, tf);
  return tf === undefined ? hooksOf(fit, false) : tfCallbackOf(tf, fit);
}

/**
 * What both forms do: names, steps, the bar, the turns of the event loop.
 * Values arrive as numbers (plain form) or tensors (tf.Callback form).
 */
class FitLogger {
  private readonly epochNames = new Map<string, string>();
  private readonly batchNames = new Map<string, string>();
  private lastEpochStep = -1;
  private epochStepOffset = 0;
  private batchStep = 0;
  private batchesThisEpoch = 0;
  private currentEpoch = 0;
  /** Batches per epoch when tfjs's params are not reachable: learned from the first epoch. */
  private learnedBatches: number | undefined;
  private params: FitParams | undefined;
  private lastYield = performance.now();
  private readonly held: HeldBatchValues | undefined;
  private stopPulling: (() => void) | undefined;
  /** Bound once: the run calls it before each beat (Run.addPointSource). */
  private readonly pull = (): void => this.releaseHeld();

  constructor(
    private readonly sink: ScalarSink,
    readonly everyBatch: boolean,
    private readonly prefix: string,
    readonly bar: ProgressBar | undefined,
    tf: TfjsCallbackNamespaceLike | undefined,
  ) {
    this.held = tf !== undefined && everyBatch ? new HeldBatchValues(tf) : undefined;
  }

  trainBegin(self: unknown): void {
    this.params = readParams(self);
    const host = this.sink as Partial<PointSourceHost>;
    if (this.held !== undefined && this.stopPulling === undefined && typeof host.addPointSource === 'function') {
      this.stopPulling = host.addPointSource(this.pull);
    }
  }

  epochBegin(self: unknown, epoch: number): void {
    this.params ??= readParams(self);
    this.batchesThisEpoch = 0;
    this.currentEpoch = epoch;
    // A new fit restarting at epoch 0 continues the step axis instead of overwriting it.
    if (epoch + this.epochStepOffset <= this.lastEpochStep) this.epochStepOffset = this.lastEpochStep + 1 - epoch;
    this.bar?.startEpoch();
  }

  epochEnd(epoch: number, logs: TfjsLogs | undefined): void {
    this.releaseHeld();
    const step = epoch + this.epochStepOffset;
    this.lastEpochStep = step;
    const shown: Array<[string, number]> | undefined = this.bar ? [] : undefined;
    if (logs) {
      for (const key in logs) {
        const value = numberOf(logs[key]);
        if (value === undefined) continue;
        this.sink.logScalar(this.nameOf(this.epochNames, key, ''), value, step);
        shown?.push([key, value]);
      }
    }
    if (this.batchesThisEpoch > 0) this.learnedBatches ??= this.batchesThisEpoch;
    this.bar?.endEpoch(epoch, this.params?.epochs, this.batchesThisEpoch, shown ?? []);
  }

  /** After each batch; returns a promise when the event loop should turn now (see YIELD_EVERY_MS). */
  batchEnd(logs: TfjsLogs | undefined, turnByTime: boolean): Promise<void> | undefined {
    this.batchesThisEpoch++;
    if (this.everyBatch && logs) {
      const time = this.held !== undefined ? Date.now() : 0;
      for (const key in logs) {
        if (BOOKKEEPING_KEYS.has(key)) continue;
        const value = logs[key];
        const name = this.nameOf(this.batchNames, key, 'batch.');
        if (typeof value === 'number') this.sink.logScalar(name, value, this.batchStep);
        else if (this.held !== undefined && isTensor(value)) this.held.hold(name, value, this.batchStep, time);
      }
      if (this.held !== undefined && this.held.size >= HOLD_AT_MOST) this.releaseHeld();
    }
    this.batchStep++;
    const bar = this.bar;
    if (bar) {
      const total = this.totalBatches();
      // Asked first: the tf.Callback form reads the loss from its tensor only for a redraw.
      if (bar.due(this.batchesThisEpoch, total)) {
        bar.batch(this.currentEpoch, this.params?.epochs, this.batchesThisEpoch, total, numberOf(logs?.loss));
      }
    }
    // A beat in flight gets a turn every batch; the tf.Callback form also takes the turns tfjs gives plain ones.
    if (turnsNeeded() || (turnByTime && performance.now() - this.lastYield >= YIELD_EVERY_MS)) return this.turn();
    return undefined;
  }

  trainEnd(): void {
    this.releaseHeld();
    this.stopPulling?.();
    this.stopPulling = undefined;
    this.bar?.finish();
  }

  /** tfjs's nextFrameFunc (plain form): a turn at most every YIELD_EVERY_MS, unless work waits for one. */
  nextFrame(): Promise<void> {
    if (performance.now() - this.lastYield < YIELD_EVERY_MS && !turnsNeeded()) return RESOLVED;
    return this.turn();
  }

  private turn(): Promise<void> {
    // Held values reach the run before the turn, in which a beat may store them.
    this.releaseHeld();
    this.lastYield = performance.now();
    return nextTurn();
  }

  private releaseHeld(): void {
    this.held?.release(this.sink);
  }

  private nameOf(cache: Map<string, string>, key: string, head: string): string {
    let name = cache.get(key);
    if (name === undefined) {
      name = `${this.prefix}${head}${key}`;
      cache.set(key, name);
    }
    return name;
  }

  private totalBatches(): number | undefined {
    const params = this.params;
    if (params?.steps != null && params.steps > 0) return params.steps;
    if (params?.samples != null && params.batchSize) return Math.ceil(params.samples / params.batchSize);
    return this.learnedBatches;
  }
}

/**
 * The hooks tfjs calls, for either form. As a plain object tfjs wraps them in
 * its CustomCallback (whose `params` the hooks read through `this`); on a
 * tf.Callback they are own properties, `this` is the callback tfjs gave its
 * params, and they reach the logger by closure, so the object still works if
 * tfjs treats it as a plain object after all (in a list whose first entry is one).
 */
function hooksOf(fit: FitLogger, asTfCallback: boolean): TfjsCallback {
  const callback: TfjsCallback = {
    onTrainBegin(this: unknown) {
      fit.trainBegin(this);
    },
    onEpochBegin(this: unknown, epoch: number) {
      fit.epochBegin(this, epoch);
    },
    onEpochEnd(epoch: number, logs?: TfjsLogs) {
      fit.epochEnd(epoch, logs);
    },
    onTrainEnd() {
      fit.trainEnd();
    },
    nextFrameFunc() {
      return fit.nextFrame();
    },
  };
  // A plain object without a batch hook makes tfjs read nothing back per batch (it only does for a callback that
  // asks). tfjs asks no tf.Callback for turns, so that form always has one and takes them at batch ends.
  if (asTfCallback || fit.everyBatch || fit.bar) {
    callback.onBatchEnd = (_batch: number, logs?: TfjsLogs) => fit.batchEnd(logs, asTfCallback);
  }
  return callback;
}

type CallbackClass = new (fit: FitLogger) => TfjsCallback;
const callbackClasses = new WeakMap<object, CallbackClass>();

/** The tf.Callback form: an instance of a subclass of this tfjs's own `tf.Callback` (tfjs checks with instanceof). */
function tfCallbackOf(tf: TfjsCallbackNamespaceLike, fit: FitLogger): TfjsCallback {
  let Class = callbackClasses.get(tf.Callback);
  if (Class === undefined) {
    Class = class RitualFitCallback extends tf.Callback {
      constructor(fit: FitLogger) {
        super();
        Object.assign(this, hooksOf(fit, true));
      }
    } as unknown as CallbackClass;
    callbackClasses.set(tf.Callback, Class);
  }
  return new Class(fit);
}

const RESOLVED: Promise<void> = Promise.resolve();

/** Resolves after one turn of the event loop: I/O that completed meanwhile gets its callbacks run. */
function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

function isTensor(value: unknown): value is ScalarTensorLike {
  return typeof value === 'object' && value !== null && typeof (value as ScalarTensorLike).dataSync === 'function';
}

/** A log value as a number: as given, or read from its tensor (the tf.Callback form's epoch logs); else undefined. */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  return isTensor(value) ? value.dataSync()[0] : undefined;
}

function readParams(self: unknown): FitParams | undefined {
  if (typeof self !== 'object' || self === null) return undefined;
  const p = (self as { params?: unknown }).params;
  return typeof p === 'object' && p !== null ? (p as FitParams) : undefined;
}
