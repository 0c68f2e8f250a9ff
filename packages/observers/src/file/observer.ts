/**
 * Sacred's FileStorageObserver, in Sacred's layout and formats, with three
 * repairs: heartbeats cost O(new data) (see metrics-log.ts), every JSON file
 * is replaced atomically so a kill never leaves a half-written run, and run
 * folders are claimed without a retry limit.
 *
 * A full disk: an event either reaches the run folder whole or fails (and
 * the observer chain journals it); a run that missed events does not record
 * an end it cannot vouch for: it stays RUNNING until `ritual replay JOURNAL
 * STORE` resumes it in its own folder with the journaled events.
 */
import { createReadStream, createWriteStream, readdirSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BackendError, UsageError } from '@ritual/core';
import { appendFileWhole, replaceFileAtomic, toSacredTime, writeFileAtomic } from '@ritual/core/observer-kit';
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
import { formatSacredJson, readSacredJson, writeSacredJson } from './sacred-json.js';
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
  /** The first mid-run event this folder failed to take (the chain journals it and every later one). */
  missed?: string;
  /**
   * info.json as last written. Every beat carries the info, which rarely changes: an unchanged one is
   * not rewritten (a temp file, a write, a rename and wakes of libuv's threads, which take the second
   * core from a training, every beat).
   */
  infoText?: string;
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
      throw new UsageError(
        'FileStorageObserver needs a folder to write runs to, e.g. new FileStorageObserver("runs").',
      );
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
      writeSacredJson(join(run.dir, RUN_FILES.config), config, { tempDir: this.tempDir(run) }),
      appendFile(join(run.dir, RUN_FILES.cout), ''),
      writeSacredJson(join(run.dir, RUN_FILES.metrics), {}, { tempDir: this.tempDir(run) }),
      writeSacredJson(join(run.dir, RUN_FILES.info), {}, { tempDir: this.tempDir(run) }),
    ]);
    await this.saveRunEntry(run);
  }

  async logMetrics(event: MetricsEvent): Promise<void> {
    const run = this.current('logMetrics');
    await this.noting(run, 'logMetrics', run.metrics.append(event.metrics));
  }

  /** A failed mid-run event is remembered: the run can then no longer record its end here (see finish). */
  private async noting(run: ActiveRun, eventName: string, work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (error) {
      run.missed ??= eventName;
      throw error;
    }
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
    // The files that are replaced first, the output last and whole: a beat that fails is
    // journaled and replayed, and replaying it must not append its output twice.
    const beat = async () => {
      await Promise.all([this.saveRunEntry(run), this.saveInfo(run, event.info)]);
      if (event.capturedOutDelta !== '') await appendFileWhole(join(run.dir, RUN_FILES.cout), event.capturedOutDelta);
    };
    await this.noting(run, 'heartbeat', beat());
  }

  async artifactAdded(event: ArtifactEvent): Promise<void> {
    const run = this.current('artifactAdded');
    const name = checkArtifactName(event.name);
    const target = join(run.dir, ...name.split('/'));
    await mkdir(dirname(target), { recursive: true });
    // Streamed (never the whole file in memory) into a temp name, then renamed:
    // a crash mid-copy leaves no half artifact under the real name.
    const copy = async () => {
      await replaceFileAtomic(target, (temp) => pipeline(createReadStream(event.path), createWriteStream(temp)), {
        tempDir: this.tempDir(run),
      });
      const artifacts = run.entry.artifacts as string[];
      if (!artifacts.includes(name)) artifacts.push(name);
      await this.saveRunEntry(run);
    };
    await this.noting(run, 'artifactAdded', copy());
  }

  async resourceAdded(event: ResourceEvent): Promise<void> {
    const run = this.current('resourceAdded');
    const save = async () => {
      const stored = await findOrSave(this.baseDir, RESOURCES_DIR, event.path, event.md5);
      (run.entry.resources as Array<[string, string]>).push([event.path, stored]);
      await this.saveRunEntry(run);
    };
    await this.noting(run, 'resourceAdded', save());
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
   * status, both flushed to disk, then the metrics log removed: metrics.json
   * now holds every point, and a second copy would double the run's size. A
   * run that did not get that far keeps its log. The status is written even
   * when metrics.json could not be (the final rewrite needs room for a second
   * copy): the log holds every point, so the run is whole, and the error
   * raised afterwards makes the chain journal the end, whose replay rewrites
   * metrics.json once there is room.
   *
   * A run that missed events (a full disk, a deleted folder) is not whole
   * here: its end is not recorded, it stays RUNNING with a valid metrics.json
   * as complete as it got, until `ritual replay JOURNAL STORE` adds the
   * journaled events to this very run.
   */
  private async finish(run: ActiveRun, fields: Record<string, unknown>): Promise<void> {
    let metricsError: unknown;
    try {
      await run.metrics.flush({ durable: true });
    } catch (error) {
      metricsError = error;
    }
    if (run.missed !== undefined) {
      throw new BackendError(
        `Run ${String(run.id)} in ${this.baseDir} missed events from ${run.missed} on, so its end (${String(fields.status)}) ` +
          'is not recorded there; it stays RUNNING until `ritual replay JOURNAL STORE` completes it.',
        { cause: metricsError },
      );
    }
    Object.assign(run.entry, fields);
    await this.saveRunEntry(run, { durable: true });
    if (metricsError !== undefined) throw metricsError;
    // The end is on disk and metrics.json holds every point: the log would be a second copy (issue 20).
    await run.metrics.discardLog();
  }

  /**
   * `ritual replay` into the run's own store: find the folder of the run that
   * `started` opened (same start time and experiment; by its id first, then
   * any folder, since a higher-priority observer may have named the run) and
   * carry it on instead of opening a new one. Returns its id, or null when
   * this runs folder does not hold it. `endOnly`: the journal holds nothing
   * but the end (only metrics.json failed), so a run that already records
   * its end is taken too: the replay rewrites metrics.json and the end.
   */
  async resume(started: StartedEvent, options: { endOnly?: boolean } = {}): Promise<RunId | null> {
    const startTime = toSacredTime(started.startTime);
    const matches = async (folder: string): Promise<Record<string, unknown> | null> => {
      try {
        const entry = (await readSacredJson(join(this.baseDir, folder, RUN_FILES.run))) as Record<string, unknown>;
        const experiment = entry.experiment as { name?: unknown } | undefined;
        return entry.start_time === startTime && experiment?.name === started.experiment.name ? entry : null;
      } catch {
        return null;
      }
    };
    let folders: string[];
    try {
      folders = readdirSync(this.baseDir).filter((name) => !name.startsWith('_') && !name.startsWith('.'));
    } catch {
      return null;
    }
    const named = started.runId === null ? undefined : String(started.runId);
    const ordered =
      named !== undefined && folders.includes(named) ? [named, ...folders.filter((f) => f !== named)] : folders;
    for (const folder of ordered) {
      const entry = await matches(folder);
      if (!entry) continue;
      if (entry.status !== 'RUNNING' && !options.endOnly) {
        throw new UsageError(
          `Run ${folder} in ${this.baseDir} is already ${String(entry.status)}; this journal was replayed into it before, ` +
            'or the run ended there. Replay it into another runs folder to get a separate copy.',
        );
      }
      await this.close();
      const dir = join(this.baseDir, folder);
      const id: RunId = /^\d+$/.test(folder) ? Number(folder) : folder;
      const run: ActiveRun = { id, dir, entry, metrics: new MetricsLog(dir), entryWrites: Promise.resolve() };
      await run.metrics.resume();
      this.run = run;
      return id;
    }
    return null;
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
      experiment.sources.map(async (source) => [
        source.relativePath,
        await findOrSave(this.baseDir, SOURCES_DIR, source.absolutePath, source.md5),
      ]),
    );
    return { ...(experiment as unknown as JsonObject), sources };
  }

  private current(eventName: string): ActiveRun {
    if (!this.run)
      throw new UsageError(
        `${this.name} got ${eventName} before started: the Run must send started (or queued) first.`,
      );
    return this.run;
  }

  private tempDir(run: ActiveRun): string {
    return join(run.dir, PRIVATE_DIR);
  }

  private saveRunEntry(run: ActiveRun, options: { durable?: boolean } = {}): Promise<void> {
    const snapshot = formatSacredJson(run.entry);
    const target = join(run.dir, RUN_FILES.run);
    const write = run.entryWrites.then(() =>
      writeFileAtomic(target, snapshot, { tempDir: this.tempDir(run), durable: options.durable }),
    );
    run.entryWrites = write.catch(() => undefined);
    return write;
  }

  private async saveInfo(run: ActiveRun, info: JsonObject): Promise<void> {
    const text = formatSacredJson(info);
    if (text === run.infoText) return;
    await writeFileAtomic(join(run.dir, RUN_FILES.info), text, { tempDir: this.tempDir(run) });
    run.infoText = text;
  }
}
