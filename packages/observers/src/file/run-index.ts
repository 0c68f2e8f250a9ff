/**
 * The summary index of a runs folder: one entry per run folder with what a
 * table of runs needs (see ../run-summary.ts), kept in `.ritual/run-index.json`
 * at the top of the runs folder, so listing 10,000 runs reads one file and
 * stats each run's run.json instead of parsing run.json and config.json of
 * every run (~1 s of CPU per 2,000 runs, measured by bench/run-listing.ts).
 *
 * Correct while runs are being written: an entry is trusted only while
 * run.json still has the inode, size and modification time it was read at,
 * so a heartbeat or a status change since is re-read, and folders that
 * appeared or vanished are added or dropped. config.json is not stamped for
 * a readable run: Sacred and ritual write it once, before the run.json of
 * the same event (start, or a queued run taken up), so a new config always
 * comes with a new run.json; a folder that could not be read is stamped by
 * both files, so one caught between the two writes is read again. The stamp
 * is taken before the read: a write racing the read leaves an older stamp,
 * which the next listing sees as changed.
 *
 * Several processes may list at once: the file is replaced whole by an
 * atomic rename, never written in place, and a reader that finds it
 * unreadable (cut short, another version) rebuilds it from the run folders.
 * Sacred's readers never see it: its FileStorageObserver only counts folders
 * whose name is a number, and ritual skips names starting with a dot.
 */
import { statSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunId } from '@ritual/core';
import { errorMessage, writeFileAtomic } from '@ritual/core/observer-kit';
import type { RunSummary } from '../store.js';
import { readRunSummary, runIdFromFolder } from './run-document.js';
import { PRIVATE_DIR, RUN_FILES } from './run-folder.js';
import { parseSacredJson } from './sacred-json.js';

/** Where the index lives, relative to the runs folder. */
export const RUN_INDEX_FILE = join(PRIVATE_DIR, 'run-index.json');
/** Bumped when an entry's shape changes: an index of another version is rebuilt, not misread. */
const VERSION = 1;
/** Run folders read at once when (re)indexing: parallel enough, without exhausting file handles. */
const READ_CONCURRENCY = 32;

interface IndexEntry {
  /** [inode, size, mtimeMs] of run.json, and of config.json for an error entry; zeros for a file that is missing. */
  stamp: number[];
  /** The run's summary with times as epoch milliseconds (cheaper to revive than Sacred's strings), when readable. */
  summary?: StoredSummary;
  /** Why the folder cannot be listed, when it could not (kept, so it is reported without being re-read). */
  error?: string;
}

interface IndexFile {
  version: number;
  runs: Record<string, IndexEntry>;
}

/** A RunSummary as JSON keeps it: times as epoch milliseconds. */
type StoredSummary = Omit<RunSummary, 'start_time' | 'heartbeat' | 'stop_time' | 'meta'> & {
  start_time: number | null;
  heartbeat: number | null;
  stop_time: number | null;
  meta: Record<string, unknown>;
};

const TIMES = ['start_time', 'heartbeat', 'stop_time'] as const;

function toStored(summary: RunSummary): StoredSummary {
  const stored = { ...summary, meta: { ...summary.meta } } as unknown as Record<string, unknown>;
  for (const field of TIMES) stored[field] = summary[field]?.getTime() ?? null;
  if (summary.meta.queue_time instanceof Date)
    (stored.meta as Record<string, unknown>).queue_time = summary.meta.queue_time.getTime();
  return stored as unknown as StoredSummary;
}

function fromStored(stored: StoredSummary): RunSummary {
  const summary = { ...stored } as unknown as Record<string, unknown>;
  for (const field of TIMES) summary[field] = stored[field] === null ? null : new Date(stored[field] as number);
  if (typeof stored.meta.queue_time === 'number')
    summary.meta = { ...stored.meta, queue_time: new Date(stored.meta.queue_time) };
  return summary as unknown as RunSummary;
}

/** A run folder as listed: its summary, or why it cannot be read. */
export type IndexedRun = { folder: string; id: RunId } & ({ summary: RunSummary } | { error: string });

/** Statistics of the last refresh, for tests and benchmarks. */
export interface RefreshStats {
  folders: number;
  /** Run folders whose files were read (new or changed since indexed). */
  read: number;
  /** Whether the index file was missing or unreadable and rebuilt. */
  rebuilt: boolean;
}

const NON_FINITE = '\u0000ritual-non-finite:';

/**
 * One line of JSON (the index of 10,000 runs is several MB; indenting it
 * doubles that), with NaN and Infinity as the bare tokens parseSacredJson
 * reads back: a diverged run's result stays NaN instead of becoming null.
 */
function compactJson(value: unknown): string {
  let nonFinite = false;
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== 'number' || Number.isFinite(item)) return item;
    nonFinite = true;
    return NON_FINITE + String(item);
  });
  return nonFinite ? text.replace(/"\u0000ritual-non-finite:(NaN|-?Infinity)"/g, '$1') : text;
}

function fileStamp(path: string): number[] {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats === undefined ? [0, 0, 0] : [stats.ino, stats.size, stats.mtimeMs];
}

function sameStamp(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

export class RunIndex {
  /** By folder name; null until first loaded from disk. */
  private entries: Map<string, IndexEntry> | null = null;
  /** Summaries made from `entries`, by folder: times parsed once per entry, not once per listing. */
  private readonly converted = new Map<string, IndexedRun>();
  lastRefresh: RefreshStats = { folders: 0, read: 0, rebuilt: false };

  constructor(private readonly dir: string) {}

  /** Every run folder's summary (or its error), up to date with the folder now. */
  async refresh(): Promise<IndexedRun[]> {
    let rebuilt = false;
    if (this.entries === null) {
      const loaded = await this.load();
      rebuilt = loaded === null;
      this.entries = loaded ?? new Map();
    }
    const entries = this.entries;
    const folders = await this.runFolders();
    let changed = false;
    const present = new Set(folders);
    for (const folder of [...entries.keys()]) {
      if (present.has(folder)) continue;
      entries.delete(folder);
      this.converted.delete(folder);
      changed = true;
    }
    const stale: Array<{ folder: string; stamp: number[] }> = [];
    for (const folder of folders) {
      const runDir = join(this.dir, folder);
      const entry = entries.get(folder);
      const stamp = fileStamp(join(runDir, RUN_FILES.run));
      if (entry?.summary === undefined) stamp.push(...fileStamp(join(runDir, RUN_FILES.config)));
      if (entry === undefined || !sameStamp(entry.stamp, stamp)) stale.push({ folder, stamp });
    }
    for (let start = 0; start < stale.length; start += READ_CONCURRENCY) {
      const batch = stale.slice(start, start + READ_CONCURRENCY);
      const read = await Promise.all(
        batch.map(({ folder, stamp }) =>
          readRunSummary(join(this.dir, folder), folder).then(
            (summary): IndexEntry => ({ stamp: stamp.slice(0, 3), summary: toStored(summary) }),
            (error: unknown): IndexEntry => ({
              stamp: stamp.length === 3 ? [...stamp, ...fileStamp(join(this.dir, folder, RUN_FILES.config))] : stamp,
              error: errorMessage(error),
            }),
          ),
        ),
      );
      for (const [index, entry] of read.entries()) {
        const folder = (batch[index] as { folder: string }).folder;
        entries.set(folder, entry);
        this.converted.delete(folder);
      }
    }
    if (stale.length > 0) changed = true;
    if (changed) await this.save(entries);
    this.lastRefresh = { folders: folders.length, read: stale.length, rebuilt };
    return folders.map((folder) => this.indexedRun(folder, entries.get(folder) as IndexEntry));
  }

  private indexedRun(folder: string, entry: IndexEntry): IndexedRun {
    const known = this.converted.get(folder);
    if (known !== undefined) return known;
    const id = runIdFromFolder(folder);
    const run: IndexedRun =
      entry.summary === undefined
        ? { folder, id, error: entry.error ?? 'not indexed' }
        : { folder, id, summary: { ...fromStored(entry.summary), _id: id } };
    this.converted.set(folder, run);
    return run;
  }

  /** The index as last saved by any process; null (so rebuilt) when missing, unreadable or of another version. */
  private async load(): Promise<Map<string, IndexEntry> | null> {
    try {
      const file = parseSacredJson(await readFile(join(this.dir, RUN_INDEX_FILE), 'utf8')) as IndexFile;
      if (file?.version !== VERSION || file.runs === null || typeof file.runs !== 'object') return null;
      return new Map(
        Object.entries(file.runs).filter(
          ([, entry]) => Array.isArray(entry?.stamp) && (entry.summary !== undefined || entry.error !== undefined),
        ),
      );
    } catch {
      // Missing, cut short or hand-edited: the run folders are the truth, and it is rebuilt from them.
      return null;
    }
  }

  /** Best effort: a read-only runs folder is still listed, only not indexed for the next reader. */
  private async save(entries: Map<string, IndexEntry>): Promise<void> {
    try {
      const privateDir = join(this.dir, PRIVATE_DIR);
      await mkdir(privateDir, { recursive: true });
      const file: IndexFile = { version: VERSION, runs: Object.fromEntries(entries) };
      await writeFileAtomic(join(this.dir, RUN_INDEX_FILE), compactJson(file), { tempDir: privateDir });
    } catch {
      // read-only folder, full disk: the next listing tries again
    }
  }

  /** Run folders: every folder except Sacred's `_sources`/`_resources` and hidden ones (this index's own). */
  async runFolders(): Promise<string[]> {
    const entries = await readdir(this.dir, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('_') && !entry.name.startsWith('.'))
      .map((entry) => entry.name);
  }
}
