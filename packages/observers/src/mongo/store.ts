import type { Readable } from 'node:stream';
import {
  BackendError,
  RunNotFoundError,
  UsageError,
  type JsonObject,
  type JsonValue,
  type MetricSeries,
  type RunId,
} from '@ritual/core';
import type { ObjectId } from 'mongodb';
import { toStoredRun } from '../sacred-run-document.js';
import {
  STORED_FILE_MISSING,
  checkInfoKey,
  type ArtifactEntry,
  type FindOptions,
  type RunStore,
  type RunSummary,
  type StoredRun,
} from '../store.js';
import { checkSummaryQuery, SUMMARY_PROJECTION, toRunSummary } from '../run-summary.js';
import { connectMongo, ensureIndexes, type MongoHandles } from './connection.js';
import { readFileText } from './gridfs-files.js';
import { resolveTarget, type TargetOptions } from './target.js';
import { errorMessage } from '@ritual/core/observer-kit';

type RunDocument = Record<string, unknown> & { _id: RunId };

/**
 * Reads runs back from a Sacred-format MongoDB (written by ritual or by Sacred
 * itself). Filters go to the server as they are; a run's whole captured output
 * is reassembled from its overflow files, and metric series from their
 * follow-on documents (see README.md in this folder).
 */
export class MongoRunStore implements RunStore {
  /** Messages about run documents the last `find` skipped (malformed, e.g. a time that is not a time). */
  warnings: string[] = [];
  readonly location: string;

  private constructor(
    private readonly handles: MongoHandles,
    location: string,
  ) {
    this.location = location;
  }

  /** Connects (waiting at most `serverSelectionTimeoutMS`, default 5 s) to `mongodb://host/db`; the database defaults to `sacred`. */
  static async open(
    url: string,
    options: Omit<TargetOptions, 'url'> & { serverSelectionTimeoutMS?: number } = {},
  ): Promise<MongoRunStore> {
    const target = resolveTarget({ ...options, url });
    let handles: MongoHandles;
    try {
      handles = await connectMongo(target, { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000 });
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new BackendError(
        `Cannot reach MongoDB at ${target.redactedUrl}: ${errorMessage(error)}. Check that the server runs and the URL is right.`,
        { cause: error },
      );
    }
    // Readers with a read-only account cannot create indexes; queries still work without them.
    await ensureIndexes(handles).catch(() => {});
    return new MongoRunStore(handles, target.redactedUrl);
  }

  async find(filter: JsonObject = {}, options: FindOptions = {}): Promise<StoredRun[]> {
    // captured_out can be megabytes per run and no listing needs it: `get` returns it whole.
    let cursor = this.handles.runs.find(filter as never, { projection: { captured_out: 0 } });
    if (options.sort) cursor = cursor.sort(options.sort);
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit) cursor = cursor.limit(options.limit);
    const documents = await cursor.toArray();
    // One malformed document (a hand edit, another tool's writer) must not hide every other run:
    // it is skipped and reported, as the file store skips a corrupt run folder.
    this.warnings = [];
    const runs: StoredRun[] = [];
    for (const document of documents as unknown as RunDocument[]) {
      try {
        runs.push(this.toStoredRun(document));
      } catch (error) {
        if (!(error instanceof BackendError)) throw error;
        this.warnings.push(`skipped run ${JSON.stringify(document._id)}: ${error.message}`);
      }
    }
    return runs;
  }

  /** Server-side: filter, sort, skip and limit in the query, and only the summary fields sent back. */
  async summaries(filter: JsonObject = {}, options: FindOptions = {}): Promise<RunSummary[]> {
    checkSummaryQuery(filter, options);
    let cursor = this.handles.runs.find(filter as never, { projection: SUMMARY_PROJECTION });
    // Sorted by id unless asked otherwise, as the file store does, so pages are stable.
    cursor = cursor.sort(options.sort ?? { _id: 1 });
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit) cursor = cursor.limit(options.limit);
    this.warnings = [];
    const runs: RunSummary[] = [];
    for (const document of (await cursor.toArray()) as unknown as RunDocument[]) {
      try {
        runs.push(toRunSummary(document._id, document, `run ${JSON.stringify(document._id)} in ${this.location}`));
      } catch (error) {
        if (!(error instanceof BackendError)) throw error;
        this.warnings.push(`skipped run ${JSON.stringify(document._id)}: ${error.message}`);
      }
    }
    return runs;
  }

  async count(filter: JsonObject = {}): Promise<number> {
    return this.handles.runs.countDocuments(filter as never);
  }

  private async document(id: RunId): Promise<RunDocument> {
    const candidates: RunId[] = typeof id === 'string' && /^-?\d+$/.test(id) ? [Number(id), id] : [id];
    for (const candidate of candidates) {
      const found = await this.handles.runs.findOne({ _id: candidate } as never);
      if (found) return found as unknown as RunDocument;
    }
    throw new RunNotFoundError(id, this.location);
  }

  async get(id: RunId): Promise<StoredRun> {
    const document = await this.document(id);
    const run = this.toStoredRun(document);
    const overflow = (document.captured_out_overflow as ObjectId[] | undefined) ?? [];
    const earlier: string[] = [];
    for (const fileId of overflow) earlier.push(await readFileText(this.handles, fileId));
    run.captured_out = earlier.join('') + String(document.captured_out ?? '');
    if (document.info_overflow)
      run.info = JSON.parse(await readFileText(this.handles, document.info_overflow as ObjectId)) as JsonObject;
    return run;
  }

  async metrics(id: RunId, name?: string): Promise<MetricSeries[]> {
    const run = await this.document(id);
    const query: Record<string, unknown> = { run_id: run._id };
    if (name !== undefined) query.name = name;
    const documents = await this.handles.metrics.find(query as never).toArray();
    const listed = ((run.info as { metrics?: Array<{ name: string }> } | undefined)?.metrics ?? []).map(
      (entry) => entry.name,
    );
    const order = (metric: string): number => (listed.includes(metric) ? listed.indexOf(metric) : listed.length);
    documents.sort(
      (a, b) =>
        order(String(a.name)) - order(String(b.name)) ||
        String(a.name).localeCompare(String(b.name)) ||
        Number(a.part ?? 0) - Number(b.part ?? 0),
    );
    const merged = new Map<string, MetricSeries>();
    for (const document of documents) {
      const metric = String(document.name);
      let series = merged.get(metric);
      if (!series) {
        series = { name: metric, steps: [], values: [], timestamps: [] };
        merged.set(metric, series);
      }
      const part = toSeries(metric, document);
      for (const step of part.steps) series.steps.push(step);
      for (const value of part.values) series.values.push(value);
      for (const time of part.timestamps) series.timestamps.push(time);
    }
    return [...merged.values()];
  }

  async metricNames(id: RunId): Promise<string[]> {
    const run = await this.document(id);
    const documents = await this.handles.metrics
      .find({ run_id: run._id } as never, { projection: { _id: 0, name: 1 } })
      .toArray();
    return [...new Set(documents.map((document) => String(document.name)))].sort();
  }

  /**
   * A document at a time, first document then its follow-ons by `part`
   * (absent, the first, sorts before 1): at most 150,000 points in memory.
   */
  async *metricChunks(id: RunId, name: string): AsyncGenerator<MetricSeries> {
    const run = await this.document(id);
    const cursor = this.handles.metrics
      .find({ run_id: run._id, name } as never)
      .sort({ part: 1 })
      .batchSize(1);
    try {
      for await (const document of cursor) yield toSeries(name, document);
    } finally {
      await cursor.close();
    }
  }

  async lastMetricValue(id: RunId, name: string): Promise<number | null> {
    const run = await this.document(id);
    // The last follow-on (a first document has no part, which sorts last), and only its last value.
    const last = await this.handles.metrics
      .find({ run_id: run._id, name } as never, { projection: { values: { $slice: -1 } } })
      .sort({ part: -1 })
      .limit(1)
      .next();
    const values = last?.values as unknown[] | undefined;
    return values !== undefined && values.length > 0 ? Number(values[values.length - 1]) : null;
  }

  private async artifactFiles(
    id: RunId,
  ): Promise<Array<{ name: string; fileId: ObjectId; file: Record<string, unknown> | null }>> {
    const run = await this.document(id);
    const listed = (run.artifacts as Array<{ name: string; file_id: ObjectId }> | undefined) ?? [];
    const files = await this.handles.files
      .find({ _id: { $in: listed.map((entry) => entry.file_id) } } as never)
      .toArray();
    return listed.map((entry) => ({
      name: entry.name,
      fileId: entry.file_id,
      file: files.find((file) => String(file._id) === String(entry.file_id)) ?? null,
    }));
  }

  async artifacts(id: RunId): Promise<ArtifactEntry[]> {
    return (await this.artifactFiles(id)).map(({ name, file }) => ({
      name,
      ...(file && typeof file.length === 'number' ? { size: file.length } : {}),
      ...(file && typeof file.contentType === 'string' ? { contentType: file.contentType } : {}),
    }));
  }

  async openArtifact(id: RunId, name: string): Promise<Readable> {
    const entries = await this.artifactFiles(id);
    // The last one wins when a name was added twice, as a later add_artifact overwrites in Sacred's file store.
    const entry = entries.filter((candidate) => candidate.name === name).at(-1);
    if (!entry) {
      throw new UsageError(
        `Run ${JSON.stringify(id)} in ${this.location} has no artifact ${JSON.stringify(name)}; it has: ${entries.map((e) => e.name).join(', ') || 'none'}.`,
      );
    }
    return this.handles.bucket.openDownloadStream(entry.fileId);
  }

  async markFailed(id: RunId, failTrace: string[]): Promise<void> {
    const document = await this.document(id);
    const last = document as unknown as { heartbeat?: Date | null; start_time?: Date | null };
    await this.handles.runs.updateOne(
      { _id: document._id } as never,
      {
        $set: { status: 'FAILED', stop_time: last.heartbeat ?? last.start_time ?? null, fail_trace: failTrace },
      } as never,
    );
  }

  async setInfo(id: RunId, key: string, value: JsonValue): Promise<void> {
    checkInfoKey(key);
    const document = await this.document(id);
    await this.handles.runs.updateOne({ _id: document._id } as never, { $set: { [`info.${key}`]: value } } as never);
  }

  async openStoredFile(storedCopy: string): Promise<Readable> {
    const { ObjectId } = await import('mongodb');
    const id = ObjectId.isValid(storedCopy) ? new ObjectId(storedCopy) : null;
    const file =
      id === null ? null : await this.handles.files.findOne({ _id: id } as never, { projection: { _id: 1 } });
    if (id === null || !file) {
      throw new BackendError(`The stored copy ${storedCopy} is missing from GridFS in ${this.location}.`, {
        code: STORED_FILE_MISSING,
      });
    }
    return this.handles.bucket.openDownloadStream(id);
  }

  async close(): Promise<void> {
    await this.handles.client.close(true);
  }

  private toStoredRun(document: RunDocument): StoredRun {
    return toStoredRun(document._id, document, `run ${JSON.stringify(document._id)} in ${this.location}`);
  }
}

/** One metrics document's points; Sacred's documents may hold ints or BSON Dates where ours hold doubles. */
function toSeries(name: string, document: Record<string, unknown>): MetricSeries {
  return {
    name,
    steps: (document.steps as unknown[]).map(Number),
    values: (document.values as unknown[]).map(Number),
    timestamps: (document.timestamps as unknown[]).map((time) =>
      time instanceof Date ? time.getTime() : Number(time),
    ),
  };
}
