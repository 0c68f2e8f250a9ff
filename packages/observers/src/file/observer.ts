/**
 * Sacred's FileStorageObserver, in Sacred's layout and formats, with three
 * repairs: heartbeats cost O(new data) (see metrics-log.ts), every JSON file
 * is replaced atomically so a kill never leaves a half-written run, and run
 * folders are claimed without a retry limit.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { appendFile, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UsageError } from '@ritual/core';
import type {
  ArtifactEvent,
  CompletedEvent,
  ExperimentInfo,
  FailedEvent,
  HeartbeatEvent,
  InterruptedEvent,
  JsonObject,
  MetricsEvent,
  Observer,
  QueuedEvent,
  ResourceEvent,
  RunId,
  StartedEvent,
  TimeoutRecorder,
} from '@ritual/core';
import { MetricsLog } from './metrics-log.js';
import { PRIVATE_DIR, RUN_FILES, checkArtifactName, claimNewRunFolder, claimRequestedRunFolder } from './run-folder.js';
import { formatSacredJson, writeFileAtomic, writeSacredJson } from './sacred-json.js';
import { RESOURCES_DIR, SOURCES_DIR, findOrSave } from './shared-copies.js';
import { fileTimeoutRecorder } from './timeout-record.js';

export const FILE_STORAGE_PRIORITY = 20;

export interface FileStorageObserverOptions {
  /** Defaults to 20, as in Sacred (mongo 30, console 10). */
  priority?: number;
}

/** The state of the run being written; one per started/queued event. */
interface ActiveRun {
  id: RunId;
  dir: string;
  /** Sacred's run.json entry, rewritten whole (it stays small). */
  entry: Record<string, unknown>;
  metrics: MetricsLog;
  /** run.json writes in event order, so an older snapshot never renames over a newer one. */
  entryWrites: Promise<void>;
}

export class FileStorageObserver implements Observer {
  readonly name: string;
  readonly priority: number;
  /** The runs folder, absolute. */
  readonly baseDir: string;
  readonly writesTo: string;
  private run: ActiveRun | undefined;

  constructor(dir: string, options: FileStorageObserverOptions = {}) {
    if (typeof dir !== 'string' || dir === '') {
      throw new UsageError('FileStorageObserver needs a folder to write runs to, e.g. new FileStorageObserver("runs").');
    }
    this.name = `FileStorageObserver(${dir})`;
    this.priority = options.priority ?? FILE_STORAGE_PRIORITY;
    this.baseDir = resolve(dir);
    this.writesTo = `file:${this.baseDir}`;
  }

  /** Folder of the current run (after started/queued). */
  get runDir(): string | undefined {
    return this.run?.dir;
  }

  async queued(event: QueuedEvent): Promise<RunId> {
    return this.openRun(event, {
      meta: { ...event.meta, queue_time: event.meta.queue_time ?? event.queueTime },
      status: 'QUEUED',
    });
  }

  async started(event: StartedEvent): Promise<RunId> {
    return this.openRun(event, {
      start_time: event.startTime,
      meta: event.meta,
      status: 'RUNNING',
      resources: [],
      artifacts: [],
      heartbeat: null,
    });
  }

  /**
   * A new run folder with every file a reader needs (incense needs all of
   * them, for queued runs too). Sources first: if one cannot be stored, no
   * run folder is left behind.
   */
  private async openRun(event: QueuedEvent | StartedEvent, fields: Record<string, unknown>): Promise<RunId> {
    const experiment = await this.storeSources(event.experiment);
    const run = await this.openRunFolder(event);
    run.entry = { experiment, command: event.command, host: event.host, ...fields };
    await this.writeRunFiles(run, event.config);
    return run.id;
  }

  /** Every file of a fresh run folder; run.json last, since a folder with a run.json is a complete, readable run. */
  private async writeRunFiles(run: ActiveRun, config: JsonObject): Promise<void> {
    await Promise.all([
      writeSacredJson(join(run.dir, RUN_FILES.config), config, this.tempDir(run)),
      appendFile(join(run.dir, RUN_FILES.cout), ''),
      writeSacredJson(join(run.dir, RUN_FILES.metrics), {}, this.tempDir(run)),
      writeSacredJson(join(run.dir, RUN_FILES.info), {}, this.tempDir(run)),
    ]);
    await this.saveRunEntry(run);
  }

  async logMetrics(event: MetricsEvent): Promise<void> {
    await this.current('logMetrics').metrics.append(event.metrics);
  }

  /**
   * Write the current run's metrics.json completely now (it is otherwise
   * refreshed when the points doubled, and at the end of the run).
   */
  async syncMetrics(): Promise<void> {
    await this.run?.metrics.flush();
  }

  /** Resolves when background refreshes of metrics.json have finished (tests, benchmarks). */
  async idle(): Promise<void> {
    await this.run?.metrics.settle();
  }

  async heartbeat(event: HeartbeatEvent): Promise<void> {
    const run = this.current('heartbeat');
    run.entry.heartbeat = event.beatTime;
    run.entry.result = event.result ?? null; // Sacred writes "result": null until there is one
    if (event.capturedOutDelta !== '') await appendFile(join(run.dir, RUN_FILES.cout), event.capturedOutDelta);
    await Promise.all([this.saveRunEntry(run), this.saveInfo(run, event.info)]);
  }

  async artifactAdded(event: ArtifactEvent): Promise<void> {
    const run = this.current('artifactAdded');
    const name = checkArtifactName(event.name);
    const target = join(run.dir, ...name.split('/'));
    await mkdir(dirname(target), { recursive: true });
    // Streamed (never the whole file in memory) into a temp name, then renamed:
    // a crash mid-copy leaves no half artifact under the real name.
    const temp = join(this.tempDir(run), `artifact.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await pipeline(createReadStream(event.path), createWriteStream(temp));
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    const artifacts = run.entry.artifacts as string[];
    if (!artifacts.includes(name)) artifacts.push(name);
    await this.saveRunEntry(run);
  }

  async resourceAdded(event: ResourceEvent): Promise<void> {
    const run = this.current('resourceAdded');
    const stored = await findOrSave(this.baseDir, RESOURCES_DIR, event.path, event.md5);
    (run.entry.resources as Array<[string, string]>).push([event.path, stored]);
    await this.saveRunEntry(run);
  }

  async completed(event: CompletedEvent): Promise<void> {
    const run = this.current('completed');
    await this.finish(run, { stop_time: event.stopTime, result: event.result ?? null, status: 'COMPLETED' });
  }

  async failed(event: FailedEvent): Promise<void> {
    const run = this.current('failed');
    await this.finish(run, { stop_time: event.stopTime, status: 'FAILED', fail_trace: event.failTrace });
  }

  async interrupted(event: InterruptedEvent): Promise<void> {
    const run = this.current('interrupted');
    await this.finish(run, { stop_time: event.stopTime, status: event.status });
  }

  /** The watchdog of `--timeout` rewrites run.json itself when main never yields. */
  timeoutRecorder(): TimeoutRecorder | null {
    return this.run ? fileTimeoutRecorder(this.run.dir) : null;
  }

  async close(): Promise<void> {
    const run = this.run;
    this.run = undefined;
    await run?.metrics.close();
  }

  /**
   * Record the end: metrics.json completed, then run.json with the final
   * status. The status is written even when the metrics could not be, so a
   * finished run never looks RUNNING; the metrics error is raised afterwards.
   */
  private async finish(run: ActiveRun, fields: Record<string, unknown>): Promise<void> {
    let metricsError: unknown;
    try {
      await run.metrics.flush();
    } catch (error) {
      metricsError = error;
    }
    Object.assign(run.entry, fields);
    await this.saveRunEntry(run);
    if (metricsError !== undefined) throw metricsError;
  }

  /**
   * `requested` is the run's id so far: asked for by the user (`userRequested`,
   * honoured or refused) or named by a higher-priority observer, whose
   * numbering may differ from this folder's: then a taken folder means the
   * next free one, rather than a refused run.
   */
  private async openRunFolder(event: { runId: RunId | null; requestedId?: RunId | null }): Promise<ActiveRun> {
    const requested = event.runId;
    // Events built by hand may lack requestedId: then the id they carry counts as asked for.
    const userRequested = event.requestedId === undefined ? requested : event.requestedId;
    await this.close();
    let id: RunId;
    let dir: string;
    if (requested === null || requested === undefined) {
      ({ id, dir } = await claimNewRunFolder(this.baseDir));
    } else if (requested !== userRequested) {
      try {
        ({ dir } = await claimRequestedRunFolder(this.baseDir, requested));
        id = requested;
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        ({ id, dir } = await claimNewRunFolder(this.baseDir));
      }
    } else {
      id = requested;
      ({ dir } = await claimRequestedRunFolder(this.baseDir, requested));
    }
    await mkdir(join(dir, PRIVATE_DIR), { recursive: true });
    this.run = { id, dir, entry: {}, metrics: new MetricsLog(dir), entryWrites: Promise.resolve() };
    return this.run;
  }

  /** Copy sources once into `_sources/` and refer to them as Sacred does: [[relpath, "_sources/stem_md5.ext[.txt]"]]. */
  private async storeSources(experiment: ExperimentInfo): Promise<JsonObject> {
    const sources = await Promise.all(
      experiment.sources.map(async (source) => [source.relativePath, await findOrSave(this.baseDir, SOURCES_DIR, source.absolutePath, source.md5)]),
    );
    return { ...(experiment as unknown as JsonObject), sources };
  }

  private current(eventName: string): ActiveRun {
    if (!this.run) throw new UsageError(`${this.name} got ${eventName} before started: the Run must send started (or queued) first.`);
    return this.run;
  }

  private tempDir(run: ActiveRun): string {
    return join(run.dir, PRIVATE_DIR);
  }

  private saveRunEntry(run: ActiveRun): Promise<void> {
    const snapshot = formatSacredJson(run.entry);
    const write = run.entryWrites.then(() => writeFileAtomic(join(run.dir, RUN_FILES.run), snapshot, this.tempDir(run)));
    run.entryWrites = write.catch(() => undefined);
    return write;
  }

  private saveInfo(run: ActiveRun, info: JsonObject): Promise<void> {
    return writeSacredJson(join(run.dir, RUN_FILES.info), info, this.tempDir(run));
  }
}
