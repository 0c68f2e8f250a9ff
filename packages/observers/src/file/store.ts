/**
 * Past runs of a runs folder (ritual's or Sacred's own), queried with
 * MongoDB filter syntax through mingo, the same interface as the MongoDB store.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Query } from 'mingo';
import { BackendError, MissingDependencyError, RunNotFoundError, UsageError } from '@ritual/core';
import { fromSacredTime } from '@ritual/core/observer-kit';
import type { JsonObject, JsonValue, MetricSeries, RunId } from '@ritual/core';
import {
  STORED_FILE_MISSING,
  type ArtifactEntry,
  type FindOptions,
  type MetricChunkOptions,
  type RunStore,
  type RunSummary,
  type StoredRun,
} from '../store.js';
import { checkSummaryQuery, coversSummary } from '../run-summary.js';
import { checkInfoKey } from '../store.js';
import { RunIndex } from './run-index.js';
import { isProbablyDead } from '../run-liveness.js';
import { MetricsLog } from './metrics-log.js';
import { MetricsJsonIndex, MetricsJsonShapeError } from './metrics-json-index.js';
import { MetricsLogIndex, wholeSeries } from './metrics-log-index.js';
import { METRICS_LOG, PRIVATE_DIR, RUN_FILES, checkArtifactName } from './run-folder.js';
import { loadRunFolder, runIdFromFolder } from './run-document.js';
import { readSacredJson, writeSacredJson } from './sacred-json.js';
import { errorMessage } from '@ritual/core/observer-kit';

/** Run folders read at once by `find`. */
const READ_CONCURRENCY = 32;
/** Runs whose metrics index is kept (a few bytes per log record or metric each): the two runs of a comparison, and some. */
const CACHED_METRIC_INDEXES = 8;

export interface FileRunStoreOptions {
  /** Called for each run folder `find` skips because it cannot be read. */
  onCorrupt?: (id: RunId, error: Error) => void;
}

export class FileRunStore implements RunStore {
  readonly location: string;
  /** Messages about run folders the last `find` skipped (corrupt, half-written). */
  warnings: string[] = [];
  /** By run folder, oldest first. */
  private readonly metricIndexes = new Map<string, MetricsLogIndex | MetricsJsonIndex>();
  /** Summaries of the run folders, kept between calls (a board asks for page after page). */
  readonly index: RunIndex;

  private constructor(
    private readonly dir: string,
    location: string,
    private readonly options: FileRunStoreOptions,
  ) {
    this.location = location;
    this.index = new RunIndex(dir);
  }

  static async open(dir: string, options: FileRunStoreOptions = {}): Promise<FileRunStore> {
    const absolute = resolve(dir);
    let isDirectory = false;
    try {
      isDirectory = (await stat(absolute)).isDirectory();
    } catch {
      isDirectory = false;
    }
    if (!isDirectory) {
      throw new UsageError(
        `No runs folder at ${dir} (${absolute} does not exist or is not a folder). Give the folder your runs were written to (-F DIR), e.g. ritual ls runs.`,
      );
    }
    return new FileRunStore(absolute, dir, options);
  }

  /**
   * Runs whose filter and sort read only summary fields (the usual listing)
   * are chosen from the run index and only the page is read whole; any other
   * query reads every run folder.
   */
  async find(filter: JsonObject = {}, options: FindOptions = {}): Promise<StoredRun[]> {
    if (!coversSummary(filter, options)) return this.findByReadingAll(filter, options);
    checkSummaryQuery(filter, options);
    const page = runQuery(await compileFilter(filter), await this.indexedSummaries(), options);
    const loaded = await inBatches(page, READ_CONCURRENCY, (summary) =>
      this.runDir(summary._id)
        .then((runDir) => loadRunFolder(runDir, String(summary._id), false))
        .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
    );
    return this.keepReadable(
      loaded,
      page.map((summary) => String(summary._id)),
    );
  }

  /** Summaries from the run index (see run-index.ts): one file read and two stats per run, plus changed runs. */
  async summaries(filter: JsonObject = {}, options: FindOptions = {}): Promise<RunSummary[]> {
    checkSummaryQuery(filter, options);
    const page = runQuery(await compileFilter(filter), await this.indexedSummaries(), options);
    // As find and get do: a dead run that a listing shows gets its metrics.json caught up for Sacred's readers.
    for (const run of page) await this.catchUpDeadRun(join(this.dir, String(run._id)), run);
    return page;
  }

  async count(filter: JsonObject = {}): Promise<number> {
    if (!coversSummary(filter)) return (await this.findByReadingAll(filter, {})).length;
    const runs = await this.indexedSummaries();
    const query = await compileFilter(filter);
    return runs.filter((run) => query.test(run as unknown as Record<string, unknown>)).length;
  }

  /** Every readable run's summary; the unreadable ones become warnings (and onCorrupt calls), as `find` reports them. */
  private async indexedSummaries(): Promise<RunSummary[]> {
    this.warnings = [];
    const runs: RunSummary[] = [];
    for (const indexed of await this.index.refresh()) {
      if ('summary' in indexed) {
        runs.push(indexed.summary);
        continue;
      }
      this.warnings.push(`skipped run ${indexed.folder}: ${indexed.error}`);
      this.options.onCorrupt?.(indexed.id, new BackendError(indexed.error));
    }
    return runs;
  }

  /** The runs read whole, in order; a folder that cannot be read is skipped with a warning. Dead runs are caught up. */
  private async keepReadable(loaded: Array<StoredRun | Error>, folders: string[]): Promise<StoredRun[]> {
    const runs: StoredRun[] = [];
    for (const [index, result] of loaded.entries()) {
      const folder = folders[index] as string;
      if (!(result instanceof Error)) {
        runs.push(result);
        await this.catchUpDeadRun(join(this.dir, folder), result);
        continue;
      }
      this.warnings.push(`skipped run ${folder}: ${result.message}`);
      this.options.onCorrupt?.(runIdFromFolder(folder), result);
    }
    return runs;
  }

  /** A query on fields a summary lacks (info, host.cpu, experiment.sources...): every run folder read whole. */
  private async findByReadingAll(filter: JsonObject, options: FindOptions): Promise<StoredRun[]> {
    this.warnings = [];
    const folders = await this.index.runFolders();
    const loaded = await inBatches(folders, READ_CONCURRENCY, (folder) =>
      loadRunFolder(join(this.dir, folder), folder, false).catch((error: unknown) =>
        error instanceof Error ? error : new Error(String(error)),
      ),
    );
    const runs = await this.keepReadable(loaded, folders);
    return runQuery(await compileFilter(filter), runs, options);
  }

  async get(id: RunId): Promise<StoredRun> {
    const runDir = await this.runDir(id);
    const run = await loadRunFolder(runDir, String(id), true);
    await this.catchUpDeadRun(runDir, run);
    return run;
  }

  /**
   * A run whose process died (kill -9) left a metrics.json that lags its log
   * by up to half the points; Sacred's readers (Omniboard, incense) only read
   * metrics.json, so the first reader that finds the dead run rewrites it
   * from the log. Best effort: a read-only runs folder is still readable.
   */
  private async catchUpDeadRun(runDir: string, run: RunSummary): Promise<void> {
    if (!isProbablyDead(run, new Date())) return;
    try {
      const [log, json] = await Promise.all([
        stat(join(runDir, METRICS_LOG)),
        stat(join(runDir, RUN_FILES.metrics)).catch(() => null),
      ]);
      if (json !== null && json.mtimeMs >= log.mtimeMs) return;
      await MetricsLog.rebuild(runDir);
    } catch {
      // no log (a Sacred run), or the folder is read-only: metrics() still reads the log
    }
  }

  /** Every point, from the append-only log (complete even after a kill), else from Sacred's metrics.json. */
  async metrics(id: RunId, name?: string): Promise<MetricSeries[]> {
    const names = await this.metricNames(id);
    const wanted = names.filter((metric) => name === undefined || metric === name);
    return Promise.all(wanted.map((metric) => wholeSeries(this.metricChunks(id, metric), metric)));
  }

  async metricNames(id: RunId): Promise<string[]> {
    const source = await this.metricSource(id);
    return source instanceof Map ? [...source.keys()].sort() : source.names();
  }

  /**
   * A record of the log at a time while a run has one (it is going on, or its
   * process died). A run that ended cleanly (its log removed once metrics.json
   * held every point) or that Sacred wrote has only metrics.json, read a chunk
   * at a time too (metrics-json-index.ts); one not shaped as Sacred writes it
   * is parsed whole.
   */
  async *metricChunks(id: RunId, name: string, options: MetricChunkOptions = {}): AsyncGenerator<MetricSeries> {
    const source = await this.metricSource(id);
    if (!(source instanceof Map)) {
      // The log's records hold their timestamps beside the points: only metrics.json's can be left unread.
      yield* source instanceof MetricsJsonIndex ? source.chunks(name, options) : source.chunks(name);
      return;
    }
    const series = source.get(name);
    if (series !== undefined) yield series;
  }

  async lastMetricValue(id: RunId, name: string): Promise<number | null> {
    const source = await this.metricSource(id);
    if (source instanceof Map) return source.get(name)?.values.at(-1) ?? null;
    return source.lastValue(name);
  }

  /**
   * The run's log index, reused while the log is unchanged (a comparison asks
   * for the names, then for each metric), else metrics.json's index, likewise.
   */
  private async metricSource(id: RunId): Promise<MetricsLogIndex | MetricsJsonIndex | Map<string, MetricSeries>> {
    const runDir = await this.runDir(id);
    const cached = this.metricIndexes.get(runDir);
    if (cached !== undefined) {
      const fromLog = cached instanceof MetricsLogIndex;
      const [now, log] = await Promise.all([
        stat(join(runDir, fromLog ? METRICS_LOG : RUN_FILES.metrics)).catch(() => null),
        // metrics.json's index holds only while there is no log (a run that began logging has one).
        fromLog ? null : stat(join(runDir, METRICS_LOG)).catch(() => null),
      ]);
      if (now !== null && log === null && now.size === cached.size && now.mtimeMs === cached.modifiedMs) return cached;
      this.metricIndexes.delete(runDir);
    }
    let index: MetricsLogIndex | MetricsJsonIndex | null = await MetricsLogIndex.read(runDir);
    try {
      index ??= await MetricsJsonIndex.read(join(runDir, RUN_FILES.metrics));
    } catch (error) {
      if (!(error instanceof MetricsJsonShapeError)) throw error;
      return readMetricsJson(join(runDir, RUN_FILES.metrics));
    }
    if (index === null) return new Map();
    if (this.metricIndexes.size >= CACHED_METRIC_INDEXES)
      this.metricIndexes.delete(this.metricIndexes.keys().next().value!);
    this.metricIndexes.set(runDir, index);
    return index;
  }

  async artifacts(id: RunId): Promise<ArtifactEntry[]> {
    const runDir = await this.runDir(id);
    const run = await loadRunFolder(runDir, String(id), false);
    return Promise.all(
      run.artifacts.map(async (name) => {
        try {
          return { name, size: (await stat(join(runDir, ...name.split('/')))).size };
        } catch {
          return { name };
        }
      }),
    );
  }

  async openArtifact(id: RunId, name: string): Promise<Readable> {
    const runDir = await this.runDir(id);
    const run = await loadRunFolder(runDir, String(id), false);
    const normalised = checkArtifactName(name);
    if (!run.artifacts.includes(normalised)) {
      const available = run.artifacts.length > 0 ? run.artifacts.join(', ') : 'none';
      throw new UsageError(
        `Run ${id} in ${this.location} has no artifact named ${JSON.stringify(name)}; its artifacts: ${available}.`,
      );
    }
    const path = join(runDir, ...normalised.split('/'));
    try {
      await stat(path);
    } catch (error) {
      throw new BackendError(
        `Artifact ${JSON.stringify(name)} of run ${id} is listed in run.json but ${path} is missing.`,
        { cause: error },
      );
    }
    return createReadStream(path);
  }

  async openStoredFile(storedCopy: string): Promise<Readable> {
    // Sacred names copies relative to the runs folder (`_sources/x_<md5>.py`); a copy outside it is not ours to read.
    const path = resolve(this.dir, storedCopy);
    if (relative(this.dir, path).startsWith('..') || isAbsolute(relative(this.dir, path))) {
      throw new BackendError(`Stored copy ${JSON.stringify(storedCopy)} is outside the runs folder ${this.location}.`, {
        code: STORED_FILE_MISSING,
      });
    }
    try {
      await stat(path);
    } catch (error) {
      throw new BackendError(`The stored copy ${storedCopy} is missing from ${this.location} (${path}).`, {
        cause: error,
        code: STORED_FILE_MISSING,
      });
    }
    return createReadStream(path);
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }

  /** metrics.json is rewritten from the log first: the process that died left it up to half the points behind. */
  async markFailed(id: RunId, failTrace: string[]): Promise<void> {
    const runDir = await this.runDir(id);
    const file = join(runDir, RUN_FILES.run);
    const entry = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await MetricsLog.rebuild(runDir);
    entry.status = 'FAILED';
    entry.stop_time = entry.heartbeat ?? entry.start_time ?? null;
    entry.fail_trace = failTrace;
    // Temp files go to the private folder, which a run Sacred wrote lacks: Python readers list plain files as artifacts.
    await mkdir(join(runDir, PRIVATE_DIR), { recursive: true });
    await writeSacredJson(file, entry, { tempDir: join(runDir, PRIVATE_DIR), durable: true });
  }

  async setInfo(id: RunId, key: string, value: JsonValue): Promise<void> {
    checkInfoKey(key);
    const runDir = await this.runDir(id);
    const file = join(runDir, RUN_FILES.info);
    const info = (await readJsonFileOr(file, {})) as Record<string, unknown>;
    info[key] = value;
    await mkdir(join(runDir, PRIVATE_DIR), { recursive: true });
    await writeSacredJson(file, info, { tempDir: join(runDir, PRIVATE_DIR), durable: true });
  }

  private async runDir(id: RunId): Promise<string> {
    const name = String(id);
    if (name === '' || /[\\/]/.test(name) || name.startsWith('.') || name.startsWith('_'))
      throw new RunNotFoundError(id, this.location);
    const runDir = join(this.dir, name);
    try {
      if ((await stat(runDir)).isDirectory()) return runDir;
    } catch {
      // fall through
    }
    throw new RunNotFoundError(id, this.location);
  }
}

/** Sacred's metrics.json: {name: {steps, values, timestamps (Sacred time strings)}}. */
/** A metrics.json not shaped as Sacred writes it, parsed whole (every point in memory). */
async function readMetricsJson(path: string): Promise<Map<string, MetricSeries>> {
  let raw: unknown;
  try {
    raw = await readSacredJson(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new BackendError(`Cannot read metrics from ${path}: ${errorMessage(error)}. Fix or remove that run folder.`, {
      cause: error,
    });
  }
  const result = new Map<string, MetricSeries>();
  for (const [name, entry] of Object.entries(
    (raw ?? {}) as Record<string, { steps?: number[]; values?: unknown[]; timestamps?: string[] }>,
  )) {
    result.set(name, {
      name,
      steps: entry.steps ?? [],
      values: (entry.values ?? []).map((value) => (value === null ? Number.NaN : (value as number))),
      timestamps: (entry.timestamps ?? []).map((time) => fromSacredTime(time).getTime()),
    });
  }
  return result;
}

/** A few at a time: parallel enough for a big runs folder, without exhausting file handles. */
async function inBatches<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size)
    results.push(...(await Promise.all(items.slice(start, start + size).map(fn))));
  return results;
}

async function compileFilter(filter: JsonObject): Promise<Query> {
  // mingo is an optional peer, loaded on the first query: writing runs neither installs nor imports it.
  const { Query } = await importMingo();
  try {
    return new Query(filter);
  } catch (error) {
    throw new UsageError(`Invalid run filter ${JSON.stringify(filter)}: ${errorMessage(error)}`, { cause: error });
  }
}

function runQuery<T extends RunSummary>(query: Query, runs: T[], options: FindOptions): T[] {
  // Default order: by id, numbers first (as Sacred's folders sort), so limit/skip are stable.
  let cursor = query.find<T>(runs).sort(options.sort ?? { _id: 1 });
  if (options.skip) cursor = cursor.skip(options.skip);
  if (options.limit) cursor = cursor.limit(options.limit);
  return cursor.all();
}

async function importMingo(): Promise<typeof import('mingo')> {
  try {
    return await import('mingo');
  } catch (error) {
    // Only "not installed" becomes the install hint; a broken install keeps its own error.
    if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new MissingDependencyError('mingo', 'to query runs in a folder (FileRunStore.find, `ritual ls`)', {
      cause: error,
    });
  }
}

/** The parsed JSON file, or `missing` when there is no such file. */
async function readJsonFileOr(path: string, missing: unknown): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return missing;
    throw new BackendError(`Cannot read ${path}: ${errorMessage(error)}. Fix or remove that file.`, { cause: error });
  }
}
