import { createHash, randomInt } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BackendError,
  type ExperimentInfo,
  type JsonObject,
  type MetricSeries,
  type QueueClaim,
  type RunId,
} from '@ritual/core';
import type { ObjectId } from 'mongodb';
import { CapturedOutput } from './captured-output.js';
import type { MongoHandles } from './connection.js';
import { putDeduplicatedFile, putFileWithId } from './gridfs-files.js';
import type { JournalEvent } from './journal.js';
import { MetricPlanner, mergeSlices, metricOperations, type PlannedMetrics, type Slice } from './metric-plan.js';
import { repairSlices } from './metric-repair.js';
import { storedRunDifferences, type ExpectedRun } from './stored-run-check.js';

/** Sacred's MongoObserver format tag. */
export const MONGO_FORMAT = 'MongoObserver-0.7.0';

export interface WriterLimits {
  /** Points per metrics document before the series continues in a follow-on document. */
  maxPointsPerMetricDocument: number;
  /** Characters per captured-output segment moved to GridFS (the inline tail holds at most two). */
  capturedOutSegmentChars: number;
  /** Characters of JSON above which `info` moves to a GridFS file (the run keeps `info.metrics` and `info_overflow`). */
  infoInlineChars: number;
}

export const DEFAULT_LIMITS: WriterLimits = {
  maxPointsPerMetricDocument: 150_000,
  capturedOutSegmentChars: 256 * 1024,
  infoInlineChars: 4 * 1024 * 1024,
};

/**
 * One idempotent database step; running it twice leaves the same documents as
 * running it once. Metric flushes carry their plan and heartbeats say they may
 * be reordered after metrics, so the uploader can merge a backlog.
 */
export type Operation = ((handles: MongoHandles) => Promise<void>) & { metrics?: PlannedMetrics; mergeable?: boolean };

/**
 * This process's attempt of a queued run no longer owns the run: a worker found no heartbeat for
 * longer than its `--dead-after` (the process stalled, it did not die), and failed the run or queued
 * it again for another attempt. Nothing more of this attempt is written; its points are removed.
 */
export class AttemptSupersededError extends BackendError {
  override readonly name: string = 'AttemptSupersededError';
  constructor(runId: RunId) {
    super(
      `Run ${String(runId)} was declared dead by a queue worker (no heartbeat for longer than its --dead-after) and ` +
        "handed to another attempt; this attempt's events are not stored and the points it wrote were removed. " +
        "Raise the worker's --dead-after if a run can stall that long.",
      { code: 'RITUAL_ATTEMPT_SUPERSEDED' },
    );
  }
}

/** Known content types for artifacts added without one (Sacred leaves them empty unless python-magic is installed). */
const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.html': 'text/html',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.bin': 'application/octet-stream',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.md': 'text/markdown',
};

/** The run's journal as the writer needs it: copied files, and every event again to repair what the server lost. */
export interface JournalSource {
  filePath(name: string): string;
  readEvents(): JournalEvent[];
}

/**
 * Maps journal events, in order, to idempotent MongoDB operations in Sacred's
 * schema. `plan` updates the writer's state once per event (metric counts,
 * output tail...) and returns the operation, which the uploader may run again
 * after a failure. Every id is fixed when planned (derived from the journal key),
 * so replaying a journal later (`ritual sync`) yields the same documents.
 */
export class RunWriter {
  runId: RunId | null = null;
  private startSeconds = 0;
  private readonly metrics: MetricPlanner;
  private readonly output: CapturedOutput;
  private lastInfo: string | null = null;
  private lastResult: string | null = null;
  private infoOverflowed = false;
  /** Set on a writer that rebuilds a lost run document: it inserts with this id instead of claiming a new one. */
  private pinnedId: RunId | null = null;
  private finalStatus: string | null = null;
  private lastBeat: Date | null = null;
  private readonly artifactIds: string[] = [];
  /**
   * On a run taken over from the queue: every update also names this attempt's key, so a process the
   * workers declared dead (too slow, not gone) cannot write into the next attempt of the same run.
   */
  private attemptGuard: Record<string, unknown> = {};
  /** Set once this attempt has learnt that another one owns the run (see AttemptSupersededError). */
  superseded: AttemptSupersededError | null = null;

  constructor(
    /** The journal key: unique per run, stored as `meta.run_key` so a retried insert finds its own document. */
    private readonly key: string,
    private readonly runsCollection: string,
    private readonly journal: JournalSource,
    private readonly limits: WriterLimits = DEFAULT_LIMITS,
  ) {
    this.metrics = new MetricPlanner(limits.maxPointsPerMetricDocument, (name, part) =>
      this.objectIdHex(`metric|${name}|${part}`),
    );
    this.output = new CapturedOutput(limits.capturedOutSegmentChars);
  }

  /** `info.metrics` entries ({name, id}) of every metric seen so far. */
  get metricEntries(): ReadonlyArray<{ name: string; id: string }> {
    return this.metrics.entries;
  }

  /** The id of a metric's first document, as listed in `info.metrics` (known before any write). */
  metricId(name: string): string {
    return this.objectIdHex(`metric|${name}|0`);
  }

  /** A fixed ObjectId: the run's start second (ObjectIds carry a time), then 8 bytes of a hash of run key and purpose. */
  private objectIdHex(purpose: string): string {
    const seconds = this.startSeconds.toString(16).padStart(8, '0').slice(-8);
    return seconds + createHash('sha256').update(`${this.key}|${purpose}`).digest('hex').slice(0, 16);
  }

  private requireId(): RunId {
    if (this.runId === null) throw new BackendError('internal order: a run event was written before its run document');
    return this.runId;
  }

  plan(event: JournalEvent): Operation {
    switch (event.type) {
      case 'started':
      case 'queued': {
        this.startSeconds = Math.floor((event.type === 'started' ? event.startTime : event.queueTime).getTime() / 1000);
        const sources = event.experiment.sources.map((source, index) => ({
          ...source,
          copy: event.sourceFiles[index] || null, // empty: the file could not be copied (it vanished)
          newId: this.objectIdHex(`source|${source.relativePath}|${source.md5}`),
        }));
        return async (handles) => {
          const stored: Array<[string, unknown]> = [];
          for (const source of sources) {
            // A source that vanished before it could be copied is listed without content rather than failing the run.
            if (source.copy === null) continue;
            const id = await putDeduplicatedFile(
              handles,
              handles.objectId(source.newId),
              this.journal.filePath(source.copy),
              source.absolutePath,
              source.md5,
            );
            stored.push([source.relativePath, id]);
          }
          const experiment = {
            name: event.experiment.name,
            base_dir: event.experiment.base_dir,
            sources: stored,
            dependencies: event.experiment.dependencies,
            repositories: event.experiment.repositories,
            mainfile: event.experiment.mainfile,
          };
          const meta: Record<string, unknown> = { ...event.meta, run_key: this.key };
          // Sacred parses -P as a Python float: a BSON double, which Omniboard and Sacred's own readers expect.
          if (typeof meta.priority === 'number') meta.priority = new handles.driver.Double(meta.priority);
          const document =
            event.type === 'started'
              ? {
                  experiment,
                  format: MONGO_FORMAT,
                  command: event.command,
                  host: event.host,
                  start_time: event.startTime,
                  config: event.config,
                  meta,
                  status: 'RUNNING',
                  resources: [],
                  artifacts: [],
                  captured_out: '',
                  info: {},
                  heartbeat: null,
                }
              : {
                  experiment,
                  command: event.command,
                  host: event.host,
                  config: event.config,
                  meta: { ...meta, queue_time: event.queueTime, queue: queuedRecord(event.experiment) },
                  status: 'QUEUED',
                };
          const claimed = event.type === 'started' ? event.claimed : null;
          this.runId =
            this.pinnedId !== null
              ? await reinsertRun(handles, this.key, document, this.pinnedId)
              : claimed
                ? await takeOverQueuedRun(handles, this.key, document, claimed).then((id) => {
                    this.attemptGuard = { 'meta.run_key': this.key };
                    return id;
                  })
                : await claimRunId(handles, this.key, document, event.requestedId);
        };
      }
      case 'metrics': {
        const planned = this.metrics.plan(event.metrics);
        const operation: Operation = (handles) => this.writeMetrics(handles, planned.slices, planned.newEntries);
        operation.metrics = planned;
        return operation;
      }
      case 'heartbeat': {
        this.lastBeat = event.beatTime;
        const set: Record<string, unknown> = { heartbeat: event.beatTime };
        const info: JsonObject = { ...event.info };
        if (this.metrics.entries.length > 0) info.metrics = this.metrics.entries.map((entry) => ({ ...entry }));
        const infoJson = JSON.stringify(info);
        // An info dict too big for the run document moves whole to GridFS (`info://<runs>/<id>`, JSON);
        // the document keeps `info.metrics` (Omniboard reads it) and points at the file with `info_overflow`.
        const infoFile =
          infoJson !== this.lastInfo && infoJson.length > this.limits.infoInlineChars
            ? this.objectIdHex(`info|${event.seq}`)
            : null;
        if (infoJson !== this.lastInfo) {
          set.info = infoFile ? { metrics: info.metrics ?? [] } : info;
          // back under the limit: the pointer goes (only then, so ordinary runs never carry the field)
          if (!infoFile && this.infoOverflowed) set.info_overflow = null;
          this.infoOverflowed = infoFile !== null;
        }
        this.lastInfo = infoJson;
        const result = event.result === undefined ? null : event.result;
        const resultJson = JSON.stringify(result);
        if (resultJson !== this.lastResult) set.result = result;
        this.lastResult = resultJson;
        const spills = event.capturedOutDelta === '' ? [] : this.output.append(event.capturedOutDelta);
        if (event.capturedOutDelta !== '') set.captured_out = this.output.inline;
        const overflow =
          spills.length > 0
            ? Array.from({ length: this.output.spilledCount }, (_, index) => this.objectIdHex(`out|${index}`))
            : null;
        const beat = async (handles: MongoHandles): Promise<void> => {
          const runId = this.requireId();
          if (infoFile) {
            const fileId = handles.objectId(infoFile);
            await putFileWithId(handles, fileId, infoJson, {
              filename: `info://${this.runsCollection}/${runId}`,
              contentType: 'application/json',
            });
            set.info_overflow = fileId;
          }
          for (const spill of spills) {
            await putFileWithId(handles, handles.objectId(this.objectIdHex(`out|${spill.index}`)), spill.text, {
              filename: `captured_out://${this.runsCollection}/${runId}/${spill.index}`,
              contentType: 'text/plain; charset=utf-8',
            });
          }
          const update = overflow
            ? { ...set, captured_out_overflow: overflow.map((hex) => handles.objectId(hex)) }
            : set;
          await this.updateRun(handles, {}, { $set: update });
        };
        return Object.assign(beat, { mergeable: true });
      }
      case 'artifact': {
        const idHex = this.objectIdHex(`artifact|${event.seq}`);
        this.artifactIds.push(idHex);
        const extension = /\.[^./]+$/.exec(event.name)?.[0]?.toLowerCase() ?? '';
        const contentType = event.contentType ?? CONTENT_TYPES[extension];
        return async (handles) => {
          const runId = this.requireId();
          const fileId = handles.objectId(idHex);
          await putFileWithId(handles, fileId, () => createReadStream(this.journal.filePath(event.file)), {
            filename: `artifact://${this.runsCollection}/${runId}/${event.name}`,
            ...(contentType ? { contentType } : {}),
            ...(event.metadata ? { metadata: event.metadata } : {}),
          });
          await this.updateRun(
            handles,
            { 'artifacts.file_id': { $ne: fileId } },
            { $push: { artifacts: { name: event.name, file_id: fileId } } },
          );
        };
      }
      case 'resource': {
        const idHex = this.objectIdHex(`resource|${event.path}|${event.md5}`);
        return async (handles) => {
          this.requireId();
          const id = await putDeduplicatedFile(
            handles,
            handles.objectId(idHex),
            this.journal.filePath(event.file),
            event.path,
            event.md5,
          );
          await this.updateRun(
            handles,
            { resources: { $ne: [event.path, id] } },
            { $push: { resources: [event.path, id] } },
          );
        };
      }
      case 'completed':
        this.finalStatus = 'COMPLETED';
        return this.finish({
          stop_time: event.stopTime,
          result: event.result === undefined ? null : event.result,
          status: 'COMPLETED',
        });
      case 'failed':
        this.finalStatus = 'FAILED';
        return this.finish({ stop_time: event.stopTime, status: 'FAILED', fail_trace: event.failTrace });
      case 'interrupted':
        this.finalStatus = event.status;
        return this.finish({ stop_time: event.stopTime, status: event.status });
    }
  }

  /**
   * One bulk write for the points, one update for new `info.metrics` entries.
   * Each update matches one document (the first slice of a document upserts), so fewer
   * matches than updates means a guarded push found a document shorter than planned or
   * none: either a retry of an applied batch, or a server that lost acknowledged writes.
   * Only what is stored tells them apart (repairSlices).
   */
  async writeMetrics(
    handles: MongoHandles,
    slices: Slice[],
    newEntries: Array<{ name: string; id: string }>,
  ): Promise<void> {
    const runId = this.requireId();
    if (slices.length > 0) {
      const result = await handles.metrics.bulkWrite(metricOperations(handles, runId, slices), { ordered: true });
      // Metric documents cannot be guarded by the run's attempt key, so ownership is checked after each
      // write: points a stalled attempt wrote into a run that was handed on are taken back at once.
      await this.checkAttempt(handles);
      if (result.matchedCount + result.upsertedCount < slices.length) {
        await repairSlices(handles, runId, slices, this.limits.maxPointsPerMetricDocument, (name) =>
          this.journalSeries(name),
        );
      }
    }
    if (newEntries.length > 0) {
      // Sacred issue 859: a retry must not list a metric twice.
      const names = newEntries.map((entry) => entry.name);
      await this.updateRun(
        handles,
        { 'info.metrics.name': { $nin: names } },
        { $push: { 'info.metrics': { $each: newEntries } } },
      );
    }
  }

  /** Every point of one metric in the journal, in logging order. */
  private journalSeries(name: string): MetricSeries {
    const series: MetricSeries = { name, steps: [], values: [], timestamps: [] };
    for (const event of this.journal.readEvents()) {
      if (event.type !== 'metrics') continue;
      for (const part of event.metrics) {
        if (part.name !== name) continue;
        // A loop, not push(...): spreading a long series overflows the call stack.
        for (let i = 0; i < part.steps.length; i += 1) {
          series.steps.push(part.steps[i]!);
          series.values.push(part.values[i]!);
          series.timestamps.push(part.timestamps[i]!);
        }
      }
    }
    return series;
  }

  /**
   * An update of the run document. A guarded one that matches nothing was already applied
   * only if the document is there; a document that is gone (the server lost it) is
   * rebuilt from the journal under the same id, which also applies this update.
   */
  private async updateRun(
    handles: MongoHandles,
    guard: Record<string, unknown>,
    update: Record<string, unknown>,
  ): Promise<void> {
    const runId = this.requireId();
    const result = await handles.runs.updateOne(
      { _id: runId, ...guard, ...this.attemptGuard } as never,
      update as never,
    );
    if (result.matchedCount > 0) return;
    await this.checkAttempt(handles);
    if (await handles.runs.findOne({ _id: runId } as never, { projection: { _id: 1 } })) return;
    if (this.pinnedId !== null)
      throw new BackendError(
        `Run document ${String(runId)} vanished again while it was rebuilt; run ritual sync when the database is stable.`,
      );
    await this.rebuild(handles);
  }

  /** What the database must hold once every event planned so far is uploaded. */
  expected(): ExpectedRun {
    return {
      runId: this.requireId(),
      key: this.key,
      status: this.finalStatus,
      heartbeat: this.lastBeat,
      points: this.metrics.totals(),
      artifacts: [...this.artifactIds],
    };
  }

  /**
   * Checks the stored run against the journal; when something is missing (the server lost
   * acknowledged writes), uploads the whole journal again and checks once more.
   * Returns what is still missing: empty means the journal may be deleted.
   */
  async verify(handles: MongoHandles): Promise<string[]> {
    const expected = this.expected();
    const differences = await storedRunDifferences(handles, expected);
    if (differences.length === 0) return [];
    // Short series alone (what a crash usually leaves) need only their documents rewritten: a full
    // rebuild replays every heartbeat, which on a long run outlasts close()'s deadline under load.
    if (differences.every((difference) => difference.metric !== undefined)) {
      await this.repairMetrics(handles, new Set(differences.map((difference) => difference.metric!)));
    } else {
      await this.rebuild(handles);
    }
    return (await storedRunDifferences(handles, expected)).map((difference) => difference.message);
  }

  /** Rewrites, whole from the journal, each document of these metrics that holds fewer points than planned. */
  private async repairMetrics(handles: MongoHandles, names: Set<string>): Promise<void> {
    const maxPoints = this.limits.maxPointsPerMetricDocument;
    const planner = new MetricPlanner(maxPoints, (name, part) => this.objectIdHex(`metric|${name}|${part}`));
    const slices: Slice[] = [];
    for (const event of this.journal.readEvents()) {
      if (event.type !== 'metrics') continue;
      for (const slice of planner.plan(event.metrics).slices) if (names.has(slice.name)) slices.push(slice);
    }
    await repairSlices(handles, this.requireId(), slices, maxPoints, (name) => this.journalSeries(name));
  }

  /**
   * Replays every journal event through a fresh writer pinned to this run's id: a missing
   * run document is inserted again, stale fields are set again, and short metric documents
   * are rewritten (their guarded pushes do not match). Every step is idempotent.
   */
  async rebuild(handles: MongoHandles): Promise<void> {
    const fresh = new RunWriter(this.key, this.runsCollection, this.journal, this.limits);
    fresh.pinnedId = this.requireId();
    const [first, ...rest] = this.journal.readEvents().map((event) => fresh.plan(event));
    if (!first) return;
    await first(handles);
    // All points at once, one update per document, then a size check of every document: a merged
    // slice starting at 0 matches a shortened document without adding to it, so no non-match tells.
    const plans = rest.flatMap((operation) => (operation.metrics ? [operation.metrics] : []));
    const slices = mergeSlices(plans.flatMap((plan) => plan.slices));
    await fresh.writeMetrics(
      handles,
      slices,
      plans.flatMap((plan) => plan.newEntries),
    );
    await repairSlices(handles, fresh.requireId(), slices, this.limits.maxPointsPerMetricDocument, (name) =>
      this.journalSeries(name),
    );
    for (const operation of rest) if (!operation.metrics) await operation(handles);
  }

  /** Several never-attempted flushes as one: slices that continue each other become one update. */
  async writeMergedMetrics(handles: MongoHandles, plans: PlannedMetrics[]): Promise<void> {
    await this.writeMetrics(
      handles,
      mergeSlices(plans.flatMap((plan) => plan.slices)),
      plans.flatMap((plan) => plan.newEntries),
    );
  }

  private finish(set: Record<string, unknown>): Operation {
    return async (handles) => {
      await this.updateRun(handles, {}, { $set: set });
      if (!this.isQueueAttempt) return;
      // The run is ended under this attempt's key, so no worker can hand it on any more: metric
      // documents of the run that are not this attempt's are what a stalled earlier attempt wrote
      // after its run was taken from it (and could not take back, killed before it noticed).
      await handles.metrics.deleteMany({
        run_id: this.requireId(),
        _id: { $nin: this.ownMetricIds(handles) },
      } as never);
    };
  }

  /**
   * On a run taken over from the queue: throws AttemptSupersededError, after removing this attempt's
   * metric documents, when the stored run is no longer this attempt's. A missing run document is left
   * to the callers (the server lost it: they rebuild it).
   */
  private async checkAttempt(handles: MongoHandles): Promise<void> {
    if (this.superseded) throw this.superseded;
    if (!this.isQueueAttempt) return;
    const runId = this.requireId();
    const stored = await handles.runs.findOne({ _id: runId } as never, { projection: { 'meta.run_key': 1 } });
    if (stored === null || (stored.meta as { run_key?: string } | undefined)?.run_key === this.key) return;
    // Ids derive from this attempt's key: the documents of the attempt that owns the run now are others.
    await handles.metrics.deleteMany({ _id: { $in: this.ownMetricIds(handles) } } as never);
    this.superseded = new AttemptSupersededError(runId);
    throw this.superseded;
  }

  /** A run taken over from the queue: its updates carry the attempt guard. */
  private get isQueueAttempt(): boolean {
    return this.attemptGuard['meta.run_key'] !== undefined;
  }

  /** Every metric document this attempt planned (each id derives from its key). */
  private ownMetricIds(handles: MongoHandles): ObjectId[] {
    return this.metrics.documentIds().map((hex) => handles.objectId(hex));
  }
}

/**
 * `meta.queue` of a QUEUED run: what a worker compares with its own code before running it (the
 * sources' md5s; Sacred's `experiment.sources` holds only GridFS ids) and how often it was claimed.
 */
function queuedRecord(experiment: ExperimentInfo): { sources: Array<[string, string]>; attempts: number } {
  return { sources: experiment.sources.map((source) => [source.relativePath, source.md5]), attempts: 0 };
}

/**
 * A worker's child starts the QUEUED run the worker claimed: that document becomes the run (same
 * `_id`), as Sacred's `overwrite` does. The queued meta (config_updates, named configs, queue_time,
 * sweep, queue) stays: it says how the run was asked for; the rest is this run's. Only the claim that
 * started this process may do it: a run queued again after a dead attempt has a new claim.
 */
async function takeOverQueuedRun(
  handles: MongoHandles,
  key: string,
  document: Record<string, unknown>,
  claimed: QueueClaim,
): Promise<RunId> {
  const mine = await handles.runs.findOne({ 'meta.run_key': key }, { projection: { _id: 1 } });
  if (mine) return mine._id as unknown as RunId;
  const { meta: _meta, heartbeat: _beat, ...fields } = document;
  const updated = await handles.runs.updateOne(
    { _id: claimed.id, status: 'RUNNING', 'meta.queue.claim': claimed.claim } as never,
    { $set: { ...fields, 'meta.run_key': key } },
  );
  if (updated.matchedCount === 0) {
    throw new BackendError(
      `Queued run ${String(claimed.id)} is no longer claimed by the worker that started this process (it was ` +
        "declared dead and failed or queued again); this attempt is not stored. Raise the worker's --dead-after.",
    );
  }
  return claimed.id;
}

/** The run document again under the id it had, after the server lost it (the metrics point at that id). */
async function reinsertRun(
  handles: MongoHandles,
  key: string,
  document: Record<string, unknown>,
  id: RunId,
): Promise<RunId> {
  const mine = await handles.runs.findOne({ 'meta.run_key': key }, { projection: { _id: 1 } });
  if (mine) return mine._id as unknown as RunId;
  try {
    await handles.runs.insertOne({ _id: id, ...document } as never);
    return id;
  } catch (error) {
    if ((error as { code?: number }).code === 11000) {
      throw new BackendError(
        `The database lost run ${String(id)} and another run has taken its id since; its journal is kept, move that run or upload this one with ritual sync to another database.`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Sacred's id rule, made safe: numeric `_id` = highest numeric id + 1, retried
 * on a duplicate key (another process took it first). String ids (`--id`) are
 * ignored when looking for the highest, so they cannot break later runs.
 * A run document already holding this journal key is ours from an earlier attempt.
 */
async function claimRunId(
  handles: MongoHandles,
  key: string,
  document: Record<string, unknown>,
  requested: RunId | null,
): Promise<RunId> {
  const mine = await handles.runs.findOne({ 'meta.run_key': key }, { projection: { _id: 1 } });
  if (mine) return mine._id as unknown as RunId;
  if (requested !== null) {
    try {
      await handles.runs.insertOne({ _id: requested, ...document } as never);
      return requested;
    } catch (error) {
      if ((error as { code?: number }).code === 11000) {
        throw new BackendError(
          `Run id ${JSON.stringify(requested)} is already taken in MongoDB collection ${handles.runs.collectionName}; choose another --id or let MongoDB number the run.`,
          { cause: error },
        );
      }
      throw error;
    }
  }
  let id: number | null = null;
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    // Re-read the highest id at first and now and then; in between, a lost race means
    // the winner took our id, so the next one is the best guess (half the round trips).
    if (id === null || attempt % 4 === 0) {
      const top = await handles.runs
        .find({ _id: { $type: 'number' } } as never, { projection: { _id: 1 } })
        .sort({ _id: -1 })
        .limit(1)
        .next();
      id = Math.max(id ?? 0, top ? Math.floor(Number(top._id)) + 1 : 1);
    }
    try {
      await handles.runs.insertOne({ _id: id, ...document } as never);
      return id;
    } catch (error) {
      if ((error as { code?: number }).code !== 11000) throw error;
      id += 1;
      // A little jitter (never Math.random: that is the user's seeded stream) spreads a crowd of starters.
      await sleep(randomInt(0, 5 + attempt));
    }
  }
  throw new BackendError(
    `Could not claim a run id in ${handles.runs.collectionName} after 1000 attempts (too many concurrent runs); try again.`,
  );
}
