import {
  BackendError,
  type ArtifactEvent,
  type CompletedEvent,
  type FailedEvent,
  type HeartbeatEvent,
  type InterruptedEvent,
  type JsonObject,
  type JsonValue,
  type MetricsEvent,
  type Observer,
  type QueuedEvent,
  type ResourceEvent,
  type RunId,
  type StartedEvent,
  type TimeoutRecorder,
} from '@ritual/core';
import type { WriteConcernSettings } from 'mongodb';
import { connectMongo, DEFAULT_WRITE_CONCERN, ensureIndexes, type MongoHandles } from './connection.js';
import { loadMongoDriver } from './driver.js';
import {
  defaultJournalRoot,
  RunJournal,
  type JournalEvent,
  type NewJournalEvent,
  type RunBeginning,
} from './journal.js';
import { DEFAULT_LIMITS, RunWriter, type WriterLimits } from './run-writer.js';
import {
  parseMongoSpec,
  redactDeep,
  redactMongoUrl,
  resolveTarget,
  storeIdentity,
  type MongoTarget,
  type TargetOptions,
} from './target.js';
import { mongoTimeoutRecorder } from './timeout-record.js';
import { Uploader } from './uploader.js';
import { errorMessage } from '@ritual/core/observer-kit';

export interface MongoObserverOptions extends TargetOptions {
  /** Folder of the local journal (default: $RITUAL_JOURNAL_DIR or the user's cache folder, e.g. ~/.cache/ritual/journal). */
  journalDir?: string;
  /** Default 30, Sacred's MongoObserver priority. */
  priority?: number;
  /** How long `started` waits for a slow database before the run goes on without it (default 10,000 ms; an unreachable one is given up after one `serverSelectionTimeoutMS`). */
  startTimeoutMS?: number;
  /** How long the end of the run waits for the upload to finish (default 5000 ms); the journal keeps the rest. */
  closeTimeoutMS?: number;
  /** How long one database operation waits for an unreachable server (default 2000 ms). */
  serverSelectionTimeoutMS?: number;
  /** Tuning of the 16 MB safeguards (defaults: 150,000 points per metrics document, 256 Ki characters per output segment). */
  limits?: Partial<WriterLimits>;
  /**
   * What the server confirms before a write counts as uploaded. Default `{ w: 1, journal: true }`:
   * acknowledged writes are in the server's on-disk journal and survive a crash of the server.
   * `{ w: 1 }` is cheaper (see bench/RESULTS.md) but a crashing mongod may lose its last
   * acknowledged writes; the observer repairs what it can see is missing from its own journal,
   * which it deletes only once the stored run is checked complete at the end. For a replica
   * set, `{ w: 'majority', journal: true }` also survives the loss of the primary.
   */
  writeConcern?: WriteConcernSettings;
  /** Where the observer's few messages go (default: stderr). */
  log?: (line: string) => void;
}

/**
 * Writes runs to MongoDB in Sacred's MongoObserver-0.7.0 format (see README.md
 * in this folder), through a local journal: every event is on disk before it is
 * sent, a background uploader sends it in order and retries while the database
 * is away, and whatever is not uploaded when the run ends stays in the journal
 * for `ritual sync`.
 */
export class MongoObserver implements Observer {
  readonly name: string;
  readonly priority: number;
  readonly writesTo: string;
  private readonly target: MongoTarget;
  private readonly journalRoot: string;
  private readonly limits: WriterLimits;
  private journal: RunJournal | null = null;
  private writer: RunWriter | null = null;
  private uploader: Uploader | null = null;
  private closed = false;
  /** When the end event arrived, the upload may take until here; close() shares the same budget. */
  private endDeadline: number | null = null;

  constructor(private readonly options: MongoObserverOptions) {
    this.target = resolveTarget(options);
    this.priority = options.priority ?? 30;
    this.name = `MongoObserver(${this.target.redactedUrl}, ${this.target.dbName}.${this.target.runsCollection})`;
    this.writesTo = storeIdentity(this.target);
    this.journalRoot = options.journalDir ?? defaultJournalRoot();
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  /** From the value of `-m`: a mongodb:// URL or Sacred's `[host:port:]db_name[.collection][!priority]`. */
  static fromSpec(spec: string, options: Omit<MongoObserverOptions, 'url'> = {}): MongoObserver {
    const target = parseMongoSpec(spec);
    const collection =
      target.runsCollection !== 'runs' && !options.collectionPrefix ? { collection: target.runsCollection } : {};
    return new MongoObserver({
      ...collection,
      priority: target.priority ?? 30,
      ...options,
      url: target.url,
      dbName: options.dbName ?? target.dbName,
    });
  }

  /** Where this run's journal is (null before the run starts, or after a complete upload). */
  get journalPath(): string | null {
    return this.journal?.dir ?? null;
  }

  private log(line: string): void {
    (this.options.log ?? ((text: string) => process.stderr.write(`${text}\n`)))(`ritual: ${line}`);
  }

  async queued(event: QueuedEvent): Promise<RunId | void> {
    return this.begin(event.queueTime, event, (beginning) => ({
      type: 'queued',
      queueTime: event.queueTime,
      ...beginning,
    }));
  }

  async started(event: StartedEvent): Promise<RunId | void> {
    return this.begin(event.startTime, event, (beginning) => ({
      type: 'started',
      startTime: event.startTime,
      ...beginning,
    }));
  }

  private async begin(
    time: Date,
    event: QueuedEvent | StartedEvent,
    build: (beginning: RunBeginning) => NewJournalEvent,
  ): Promise<RunId | void> {
    if (this.journal && !this.closed)
      throw new BackendError(`${this.name} already observes a run; create one observer per run running at once.`);
    // One observer may serve runs one after another (an Experiment run twice): each run gets its own journal,
    // uploader and close(). A previous run's journal kept for `ritual sync` stays on disk.
    this.closed = false;
    this.endDeadline = null;
    await loadMongoDriver(); // a missing driver refuses the run now, not in the background
    const { redactedUrl, dbName, runsCollection, metricsCollection } = this.target;
    const journal = RunJournal.create(
      this.journalRoot,
      { redactedUrl, dbName, runsCollection, metricsCollection, limits: this.limits },
      time,
    );
    this.journal = journal;
    const writer = new RunWriter(journal.key, this.target.runsCollection, journal, this.limits);
    this.writer = writer;
    this.uploader = new Uploader({
      connect: () => this.connect(),
      acknowledge: (seq) => journal.writeAcked(seq),
      log: (line) => this.log(line),
      describe: journal.dir,
      mergeMetrics: (handles, plans) => writer.writeMergedMetrics(handles, plans),
    });
    // Passwords in URLs (e.g. the raw `-m` value in meta.options) never reach the journal or the database.
    const { experiment, command, host, config, meta } = redactDeep({
      experiment: event.experiment,
      command: event.command,
      host: event.host,
      config: event.config,
      meta: event.meta,
    });
    // Sources are copied as they are now: the upload may happen much later (ritual sync).
    const sourceFiles = experiment.sources.map((source) => {
      try {
        return journal.copyIn(source.absolutePath);
      } catch {
        return '';
      }
    });
    const first = this.record(
      build({
        experiment,
        command,
        host,
        config,
        meta,
        requestedId: event.runId,
        claimed: 'claimed' in event ? (event.claimed ?? null) : null,
        sourceFiles,
      }),
    );
    // Wait for the id, but not for a database that already failed to answer once.
    await this.uploader.drain(this.options.startTimeoutMS ?? 10_000, true);
    if (writer.runId !== null) return writer.runId;
    if (this.uploader.state === 'failed') {
      throw new BackendError(`${this.name} could not store the run: ${(this.uploader.lastError as Error)?.message}`, {
        cause: this.uploader.lastError,
      });
    }
    this.log(
      `MongoDB at ${this.target.redactedUrl} is not reachable yet; the run goes on, journaled in ${journal.dir} (event ${first.seq}), and is uploaded when the database answers.`,
    );
  }

  private async connect(): Promise<MongoHandles> {
    const handles = await connectMongo(this.target, {
      ...(this.options.serverSelectionTimeoutMS
        ? { serverSelectionTimeoutMS: this.options.serverSelectionTimeoutMS }
        : {}),
      writeConcern: this.options.writeConcern ?? DEFAULT_WRITE_CONCERN,
    });
    try {
      await ensureIndexes(handles);
    } catch (error) {
      await handles.client.close(true).catch(() => {});
      throw error;
    }
    return handles;
  }

  /** Journal first, then hand the planned operation to the uploader. */
  private record(event: NewJournalEvent): JournalEvent {
    if (!this.journal || !this.writer || !this.uploader)
      throw new BackendError(`${this.name} received a run event before started/queued.`);
    const full = this.journal.append(event);
    this.uploader.push(full.seq, this.writer.plan(full));
    return full;
  }

  logMetrics(event: MetricsEvent): void {
    if (!this.writer || event.metrics.length === 0) return;
    // Like Sacred, list each metric's document id in the run's info (Omniboard reads it from there).
    const listed = Array.isArray(event.info.metrics) ? (event.info.metrics as JsonValue[]) : [];
    for (const series of event.metrics) {
      if (!listed.some((entry) => (entry as JsonObject | null)?.name === series.name))
        listed.push({ name: series.name, id: this.writer.metricId(series.name) });
    }
    event.info.metrics = listed;
    // No copy needed: the journal packs the points and the planner slices them before this returns.
    this.record({ type: 'metrics', metrics: event.metrics });
  }

  heartbeat(event: HeartbeatEvent): void {
    if (!this.writer) return;
    this.record({
      type: 'heartbeat',
      beatTime: event.beatTime,
      info: redactDeep(event.info),
      capturedOutDelta: redactMongoUrl(event.capturedOutDelta),
      result: event.result,
    });
  }

  artifactAdded(event: ArtifactEvent): void {
    if (!this.journal) return;
    const file = this.journal.copyIn(event.path);
    this.record({
      type: 'artifact',
      name: event.name,
      file,
      ...(event.contentType ? { contentType: event.contentType } : {}),
      ...(event.metadata ? { metadata: event.metadata } : {}),
    });
  }

  resourceAdded(event: ResourceEvent): void {
    if (!this.journal) return;
    const file = this.journal.copyIn(event.path);
    this.record({ type: 'resource', path: event.path, md5: event.md5, file });
  }

  async completed(event: CompletedEvent): Promise<void> {
    await this.end({ type: 'completed', stopTime: event.stopTime, result: event.result });
  }

  async failed(event: FailedEvent): Promise<void> {
    await this.end({ type: 'failed', stopTime: event.stopTime, failTrace: event.failTrace });
  }

  async interrupted(event: InterruptedEvent): Promise<void> {
    await this.end({ type: 'interrupted', stopTime: event.stopTime, status: event.status });
  }

  private async end(event: NewJournalEvent): Promise<void> {
    if (!this.journal) return;
    this.record(event);
    this.endDeadline = Date.now() + (this.options.closeTimeoutMS ?? 5000);
    await this.uploader?.drain(this.endDeadline - Date.now());
  }

  /** The watchdog of `--timeout` completes and uploads the journal itself when main never yields. */
  timeoutRecorder(): TimeoutRecorder | null {
    if (!this.journal || this.closed) return null;
    return mongoTimeoutRecorder({
      journalDir: this.journal.dir,
      url: this.target.url,
      redactedUrl: this.target.redactedUrl,
      serverSelectionTimeoutMS: Math.min(this.options.serverSelectionTimeoutMS ?? 2000, 3000),
    });
  }

  /**
   * Waits (bounded) for the upload, then checks the stored run against the journal (the server may
   * have lost acknowledged writes in a crash) and deletes the journal only when the check passes;
   * otherwise says how to upload it later.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { journal, uploader, writer } = this;
    if (!journal || !uploader || !writer) return;
    const deadline = this.endDeadline ?? Date.now() + (this.options.closeTimeoutMS ?? 5000);
    const complete = await uploader.drain(deadline - Date.now());
    const problem = complete ? await this.verifyStored(uploader.connection, writer, deadline) : null;
    const toldSuperseded = uploader.state === 'failed'; // the uploader said so when it stopped
    await uploader.stop();
    if (complete && problem === null) {
      journal.remove();
      this.journal = null;
      return;
    }
    journal.closeFile();
    if (writer.superseded) {
      if (!toldSuperseded) this.log(writer.superseded.message);
      // Not uploadable (ritual sync refuses it too): kept as the record of what this attempt did.
      this.log(`This attempt's journal is kept in ${journal.dir}; it is not uploaded.`);
      return;
    }
    const runText = writer.runId != null ? `run ${writer.runId}` : 'the run';
    const what = complete
      ? `${runText} could not be checked complete in MongoDB (${problem})`
      : `${uploader.pending} event(s) of ${runText} did not reach MongoDB`;
    this.log(
      `${what} at ${this.target.redactedUrl}; everything is kept in ${journal.dir}. Upload it when the database is back with: ritual sync ${JSON.stringify(this.journalRoot)} ${this.target.redactedUrl}`,
    );
  }

  /** null when the stored run equals the journal (after repairing it if needed), else why not. */
  private async verifyStored(
    handles: MongoHandles | null,
    writer: RunWriter,
    deadline: number,
  ): Promise<string | null> {
    if (!handles) return 'no connection';
    // A check costs two queries; a repair re-sends the journal, so it gets at least a few seconds.
    const budget = Math.max(deadline - Date.now(), 3 * (this.options.serverSelectionTimeoutMS ?? 2000));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>(
      (resolve) => (timer = setTimeout(() => resolve(`no answer within ${budget} ms`), budget)),
    );
    try {
      const check = writer
        .verify(handles)
        .then((differences) => (differences.length === 0 ? null : differences.join('; ')));
      return await Promise.race([check, timeout]);
    } catch (error) {
      return errorMessage(error);
    } finally {
      clearTimeout(timer);
    }
  }
}
