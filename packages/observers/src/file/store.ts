/**
 * Past runs of a runs folder (ritual's or Sacred's own), queried with
 * MongoDB filter syntax through mingo, the same interface as the MongoDB store.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Query } from 'mingo';
import { BackendError, MissingDependencyError, RunNotFoundError, UsageError } from '@ritual/core';
import { fromSacredTime } from '@ritual/core/observer-kit';
import type { JsonObject, MetricSeries, RunId } from '@ritual/core';
import {
  STORED_FILE_MISSING,
  type ArtifactEntry,
  type FindOptions,
  type MetricChunkOptions,
  type RunStore,
  type StoredRun,
} from '../store.js';
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

  private constructor(
    private readonly dir: string,
    location: string,
    private readonly options: FileRunStoreOptions,
  ) {
    this.location = location;
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

  async find(filter: JsonObject = {}, options: FindOptions = {}): Promise<StoredRun[]> {
    this.warnings = [];
    const folders = await this.runFolders();
    const loaded: Array<StoredRun | Error> = [];
    // A few folders at a time: parallel enough for a big runs folder, without exhausting file handles.
    for (let start = 0; start < folders.length; start += READ_CONCURRENCY) {
      const batch = folders.slice(start, start + READ_CONCURRENCY);
      loaded.push(
        ...(await Promise.all(
          batch.map((folder) =>
            loadRunFolder(join(this.dir, folder), folder, false).catch((error: unknown) =>
              error instanceof Error ? error : new Error(String(error)),
            ),
          ),
        )),
      );
    }
    const runs: StoredRun[] = [];
    for (const [index, result] of loaded.entries()) {
      if (!(result instanceof Error)) {
        runs.push(result);
        await this.catchUpDeadRun(join(this.dir, folders[index] as string), result);
        continue;
      }
      const folder = folders[index] as string;
      this.warnings.push(`skipped run ${folder}: ${result.message}`);
      this.options.onCorrupt?.(runIdFromFolder(folder), result);
    }
    // mingo is an optional peer, loaded on the first query: writing runs neither installs nor imports it.
    const { Query } = await importMingo();
    let query: Query;
    try {
      query = new Query(filter);
    } catch (error) {
      throw new UsageError(`Invalid run filter ${JSON.stringify(filter)}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    let cursor = query.find<StoredRun>(runs);
    // Default order: by id, numbers first (as Sacred's folders sort), so limit/skip are stable.
    cursor = cursor.sort(options.sort ?? { _id: 1 });
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit) cursor = cursor.limit(options.limit);
    return cursor.all();
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
  private async catchUpDeadRun(runDir: string, run: StoredRun): Promise<void> {
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

  /** Run folders: every folder except Sacred's `_sources`/`_resources` and hidden ones. */
  private async runFolders(): Promise<string[]> {
    const entries = await readdir(this.dir, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('_') && !entry.name.startsWith('.'))
      .map((entry) => entry.name);
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
