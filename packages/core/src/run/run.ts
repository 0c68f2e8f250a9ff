import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { normaliseArtifactName } from '../sacred/artifact-name.js';
import { UsageError } from '../errors.js';
import type { MetricBuffer } from './metric-buffer.js';
import type { ObserverChain } from '../observer/observer-chain.js';
import type { JsonObject, RunId, RunStatus } from './run-record.js';
import { runUnseeded } from '../seeding.js';
import { createTfjsCallback, type TfjsCallback, type TfjsCallbackOptions } from '../tfjs/callback.js';
import { saveModel, type SaveModelOptions } from '../tfjs/model-artifacts.js';
import type { SavableModelLike, TfjsCallbackNamespaceLike } from '../tfjs/tfjs-types.js';

/** Options of `run.addArtifact`. */
export interface ArtifactOptions {
  /** MIME type stored with the artifact (MongoDB keeps it on the GridFS file). */
  contentType?: string;
  /** Free-form JSON stored with the artifact. */
  metadata?: JsonObject;
}

/**
 * One execution of an experiment, as `main` sees it. Logging is cheap
 * (`logScalar` appends to a buffer that heartbeats flush); storing files is
 * async and awaited so that an artifact is recorded before `main` returns.
 */
export class Run<C = JsonObject> {
  /** Set by the first observer that names the run (null when unobserved). */
  id: RunId | null = null;
  status: RunStatus = 'RUNNING';
  startTime: Date | null = null;
  stopTime: Date | null = null;
  /** Free-form JSON, saved with every heartbeat. Keep it small: it is re-sent each beat. */
  readonly info: JsonObject = {};
  /** The value `main` returned, once it has. */
  result: unknown = undefined;

  /** @internal The Run is created by the experiment; users receive it in `main`. */
  constructor(
    readonly experimentName: string,
    /** The run's final config (read-only). */
    readonly config: Readonly<C>,
    /** The root seed; also `config.seed`. */
    readonly seed: number,
    private readonly metrics: MetricBuffer,
    private readonly observers: ObserverChain,
  ) {}

  /** @internal The last value logged for a metric (a sweep ranks runs by it). */
  lastMetricValue(name: string): number | undefined {
    return this.metrics.lastValue(name);
  }

  /**
   * Record one value of a metric. `step` defaults to the metric's previous
   * step + 1 (0 first); `timestamp` (epoch ms) to now, and is for a value
   * measured earlier than it is logged. Points are buffered and reach
   * observers on the next heartbeat, so this is safe to call on every batch.
   */
  logScalar(name: string, value: number, step?: number, timestamp?: number): void {
    if (typeof value !== 'number') {
      throw new UsageError(
        `run.logScalar(${JSON.stringify(name)}, …) needs a number, got ${typeof value}. Convert it first, e.g. Number(x) or (await tensor.data())[0].`,
      );
    }
    if (timestamp !== undefined && !Number.isFinite(timestamp)) {
      throw new UsageError(
        `run.logScalar(${JSON.stringify(name)}, …, timestamp) needs epoch milliseconds (e.g. Date.now()), got ${String(timestamp)}.`,
      );
    }
    this.metrics.log(name, value, step, timestamp);
  }

  /**
   * @internal A producer of held-back points (the tfjs callback holds batch
   * values as tensors): called before each beat and when the run stops, so
   * that what it holds is stored with the rest. Returns its removal.
   */
  addPointSource(pull: () => void): () => void {
    return this.metrics.addSource(pull);
  }

  /**
   * Store a file with the run under `name` (default: the file's base name;
   * `a/b.json` keeps a folder structure). Resolves once every observer has
   * stored it.
   */
  async addArtifact(path: string, name?: string, options: ArtifactOptions = {}): Promise<void> {
    const absolute = resolve(path);
    const checkedName = normaliseArtifactName(name ?? basename(absolute));
    await requireFile(absolute, 'artifact');
    // Observer work started from main must not draw from main's seeded Math.random.
    await runUnseeded(() =>
      this.observers.emit('artifactAdded', {
        runId: this.id,
        name: checkedName,
        path: absolute,
        ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
        ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
      }),
    );
  }

  /** Record that the run read a file (stored with its md5, like Sacred's resources). */
  async addResource(path: string): Promise<void> {
    const absolute = resolve(path);
    await requireFile(absolute, 'resource');
    const md5 = await md5OfFile(absolute);
    await runUnseeded(() => this.observers.emit('resourceAdded', { runId: this.id, path: absolute, md5 }));
  }

  /**
   * A `model.fit` callback that logs every metric tfjs reports (`loss`,
   * `val_acc`, … per epoch; `batch.loss`, … per batch with `every: 'batch'`)
   * and draws a progress bar on a terminal. Pass your tfjs namespace
   * (`{ tf }`) and it is a `tf.Callback` that reads batch values back once a
   * second rather than tfjs reading them at every batch (see TfjsCallbackOptions.tf).
   */
  tfjsCallback<T extends TfjsCallbackNamespaceLike>(
    options: TfjsCallbackOptions & { tf: T },
  ): InstanceType<T['Callback']> & TfjsCallback;
  tfjsCallback(options?: TfjsCallbackOptions): TfjsCallback;
  tfjsCallback(options: TfjsCallbackOptions = {}): TfjsCallback {
    return createTfjsCallback(this, options);
  }

  /** Save a tfjs model (model.json + weights.bin) as artifacts `<name>/model.json` and `<name>/weights.bin`. */
  saveModel(model: SavableModelLike, name = 'model', options: SaveModelOptions = {}): Promise<string[]> {
    return saveModel(this, model, name, options);
  }

  /** Open a file for reading and record it as a resource of the run. */
  async openResource(path: string): Promise<FileHandle> {
    await this.addResource(path);
    return open(resolve(path), 'r');
  }
}

async function requireFile(path: string, what: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new UsageError(`Cannot add ${what} ${path}: the file does not exist. Write it before adding it to the run.`);
  }
  if (!info.isFile())
    throw new UsageError(
      `Cannot add ${what} ${path}: it is not a regular file (a folder?). Add the files inside it one by one.`,
    );
}

function md5OfFile(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('md5');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}
