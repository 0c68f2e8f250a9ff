import type { Readable } from 'node:stream';
import {
  UsageError,
  type HostInfo,
  type JsonObject,
  type JsonValue,
  type MetricSeries,
  type RepositoryInfo,
  type RunId,
  type RunMeta,
  type RunStatus,
} from '@ritual/core';

/**
 * A run as read back from any store: Sacred's run document, with times as
 * Dates and artifacts normalised to names. File and MongoDB stores return
 * this same shape, so `ritual` and user scripts never care where runs live.
 */
export interface StoredRun {
  _id: RunId;
  experiment: {
    name: string;
    base_dir: string;
    mainfile: string | null;
    /** [relative path, stored copy (file path or GridFS id as a string)] */
    sources: Array<[string, string]>;
    dependencies: string[];
    repositories: RepositoryInfo[];
  };
  command: string;
  host: HostInfo;
  meta: RunMeta;
  config: JsonObject;
  status: RunStatus;
  start_time: Date | null;
  heartbeat: Date | null;
  stop_time: Date | null;
  result: unknown;
  info: JsonObject;
  /** Artifact names. */
  artifacts: string[];
  fail_trace: string[] | null;
  resources: Array<[string, string]>;
  /** Present when the store holds captured output inline (MongoDB, or read from cout.txt on `get`). */
  captured_out?: string;
}

/**
 * What a table of runs needs of each run (id, name, status, times, result,
 * config, meta incl. sweep, host name): StoredRun without the bulky parts
 * (sources, dependencies, info, artifacts, fail trace). A file store keeps
 * these in an index (file/run-index.ts), MongoDB returns them by projection,
 * so a page of a large store is listed without reading every run whole.
 * Every StoredRun is also a RunSummary.
 */
export interface RunSummary {
  _id: RunId;
  experiment: { name: string };
  command: string;
  host: { hostname?: string };
  meta: RunMeta;
  config: JsonObject;
  status: RunStatus;
  start_time: Date | null;
  heartbeat: Date | null;
  stop_time: Date | null;
  result: unknown;
}

/** The `code` of the BackendError `openStoredFile` throws when a stored copy is gone. */
export const STORED_FILE_MISSING = 'RITUAL_STORED_FILE_MISSING';

/** Options of `find`, as in MongoDB. */
export interface FindOptions {
  /** e.g. `{ result: -1, _id: 1 }` */
  sort?: Record<string, 1 | -1>;
  limit?: number;
  skip?: number;
}

/** What RunStore.metricChunks reads. */
export interface MetricChunkOptions {
  /**
   * Whether the caller needs the points' timestamps (default true). false: a
   * store may hand out chunks with empty `timestamps` and skip reading them;
   * the file store then leaves metrics.json's timestamps array unread (half
   * of its bytes). A comparison needs steps and values only.
   */
  timestamps?: boolean;
}

/**
 * Where runs are read back from. `find` takes a MongoDB query document
 * (`{ 'config.lr': { $lt: 0.01 }, status: 'COMPLETED' }`) in every store.
 */
export interface RunStore {
  /** What the user named: a folder path or a redacted URL. */
  readonly location: string;
  find(filter?: JsonObject, options?: FindOptions): Promise<StoredRun[]>;
  /**
   * The summaries of the runs `filter` matches, sorted, skipped and limited as
   * `find` does, without reading any run whole: what a paged table shows.
   * A filter or sort on a field outside RunSummary (see `coversSummary`) is
   * refused with a UsageError; use `find` for those.
   */
  summaries(filter?: JsonObject, options?: FindOptions): Promise<RunSummary[]>;
  /** How many runs `filter` matches (the total of a paged table); any field may be filtered on. */
  count(filter?: JsonObject): Promise<number>;
  /** Throws RunNotFoundError when there is no such run. */
  get(id: RunId): Promise<StoredRun>;
  /** All points of one metric or of every metric of a run, in memory; `metricChunks` streams one. */
  metrics(id: RunId, name?: string): Promise<MetricSeries[]>;
  /** The names of a run's metrics, sorted. Throws RunNotFoundError when there is no such run. */
  metricNames(id: RunId): Promise<string[]>;
  /**
   * One metric's points in order, a chunk at a time (nothing when the run
   * has no such metric): memory holds one chunk, not the series, and
   * stopping the iteration stops the reading. Chunks have at most a store's
   * own unit of points (a log record, a MongoDB document of at most 150,000).
   */
  metricChunks(id: RunId, name: string, options?: MetricChunkOptions): AsyncIterable<MetricSeries>;
  /**
   * The last value logged for one metric, null when the run has none: read from the series' end (the
   * last log record, the tail of metrics.json's values, the last MongoDB document), never the whole
   * series, so a table of many long runs stays cheap.
   */
  lastMetricValue(id: RunId, name: string): Promise<number | null>;
  artifacts(id: RunId): Promise<ArtifactEntry[]>;
  openArtifact(id: RunId, name: string): Promise<Readable>;
  /**
   * End a run that will never end by itself (its process was killed): status
   * FAILED, stop time = its last heartbeat, and `failTrace` saying why.
   */
  markFailed(id: RunId, failTrace: string[]): Promise<void>;
  /**
   * Set one top-level key of an ended run's `info`, leaving the rest of the
   * run as it is: what a command learned after the run ended (`ritual
   * reproduce` stores its verdict as `info.reproduce`). Sacred's readers
   * show `info` as free-form JSON. `key` may not contain `.` or start with `$`.
   */
  setInfo(id: RunId, key: string, value: JsonValue): Promise<void>;
  /**
   * The stored copy of a source or resource, as named in `experiment.sources`
   * / `resources` (a path in the runs folder, a GridFS id). Throws
   * a BackendError with code RITUAL_STORED_FILE_MISSING when the store no longer has it.
   */
  openStoredFile(storedCopy: string): Promise<Readable>;
  close(): Promise<void>;
}

export interface ArtifactEntry {
  name: string;
  /** Size in bytes when the store knows it. */
  size?: number;
  contentType?: string;
}

/** The rule of `RunStore.setInfo`'s key: one top-level key, which MongoDB would otherwise read as a path or operator. */
export function checkInfoKey(key: string): void {
  if (key === '' || key.includes('.') || key.startsWith('$'))
    throw new UsageError(
      `An info key must be non-empty, without "." and not start with "$"; got ${JSON.stringify(key)}.`,
    );
}
