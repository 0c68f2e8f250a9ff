import { randomBytes } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { BackendError } from '@ritual/core';
import { writeFileAtomicSync, writeFullySync } from '@ritual/core/observer-kit';
import { packMetrics, unpackMetrics, type BinaryMetricsRef } from './journal-metrics.js';
import type { ExperimentInfo, HostInfo, JsonObject, MetricSeries, QueueClaim, RunId, RunMeta } from '@ritual/core';
import { errorMessage } from '@ritual/core/observer-kit';

/**
 * The local journal that makes a MongoDB run lossless. Every event is appended
 * here (synchronously, so it is in the OS before the event method returns and
 * survives a kill -9 of the writer) before anything is sent to the database.
 * One folder per run:
 *   events.jsonl   one event per line, in order, with a sequence number
 *   metrics.bin    the metric points of the `metrics` events, binary (journal-metrics.ts)
 *   files/         copies of sources, resources and artifacts as they were when added
 *   target.json    where the run was going (redacted URL, database, collections)
 *   owner.json     pid + host of the writing process (sync leaves live runs alone)
 *   acked          the last sequence number known to be in the database
 * The folder is deleted once the database holds every event of the run.
 */

/** What the first event of a run carries, whether it was queued or started. */
export interface RunBeginning {
  experiment: ExperimentInfo;
  command: string;
  host: HostInfo;
  config: JsonObject;
  meta: RunMeta;
  requestedId: RunId | null;
  /** A started run that takes over the QUEUED document a worker claimed (absent in older journals). */
  claimed?: QueueClaim | null;
  /** The journal's copies of the sources ('' where one could not be copied), in experiment.sources' order. */
  sourceFiles: string[];
}

export type JournalEvent =
  | ({ type: 'started'; seq: number; startTime: Date } & RunBeginning)
  | ({ type: 'queued'; seq: number; queueTime: Date } & RunBeginning)
  | { type: 'metrics'; seq: number; metrics: MetricSeries[] }
  | { type: 'heartbeat'; seq: number; beatTime: Date; info: JsonObject; capturedOutDelta: string; result: unknown }
  | { type: 'artifact'; seq: number; name: string; file: string; contentType?: string; metadata?: JsonObject }
  | { type: 'resource'; seq: number; path: string; md5: string; file: string }
  | { type: 'completed'; seq: number; stopTime: Date; result: unknown }
  | { type: 'failed'; seq: number; stopTime: Date; failTrace: string[] }
  | { type: 'interrupted'; seq: number; stopTime: Date; status: 'INTERRUPTED' | 'TIMEOUT' };

/** Distributes `Omit` over the union, so callers pass an event without its sequence number. */
export type NewJournalEvent = JournalEvent extends infer E ? (E extends JournalEvent ? Omit<E, 'seq'> : never) : never;

export interface JournalTarget {
  redactedUrl: string;
  dbName: string;
  runsCollection: string;
  metricsCollection: string;
  /** The writer's limits: a replay must split metric series and output exactly as the live upload did. */
  limits: { maxPointsPerMetricDocument: number; capturedOutSegmentChars: number; infoInlineChars: number };
}

/** Default root: `$RITUAL_JOURNAL_DIR`, else the per-user cache (it belongs to the machine, not the project). */
export function defaultJournalRoot(): string {
  if (process.env.RITUAL_JOURNAL_DIR) return resolve(process.env.RITUAL_JOURNAL_DIR);
  if (process.platform === 'win32' && process.env.LOCALAPPDATA)
    return join(process.env.LOCALAPPDATA, 'ritual', 'journal');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'ritual', 'journal');
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ritual', 'journal');
}

/** JSON cannot hold Dates, NaN or ±Infinity, all of which runs contain (loss curves do diverge). */
function replacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Date) return { $date: raw.getTime() };
  if (typeof value === 'number' && !Number.isFinite(value)) return { $num: String(value) };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$date') return new Date((value as { $date: number }).$date);
    if (keys.length === 1 && keys[0] === '$num') return Number((value as { $num: string }).$num);
  }
  return value;
}

export function encodeEvent(event: JournalEvent): string {
  return JSON.stringify(event, replacer);
}

export function decodeEvent(line: string): JournalEvent {
  return JSON.parse(line, reviver) as JournalEvent;
}

export class RunJournal {
  private fd: number | null = null;
  private binaryFd: number | null = null;
  private binaryOffset = 0;
  private nextSeq: number;

  private constructor(
    readonly dir: string,
    readonly key: string,
    nextSeq: number,
  ) {
    this.nextSeq = nextSeq;
  }

  /** A new journal folder for a run starting now. */
  static create(root: string, target: JournalTarget, now: Date): RunJournal {
    const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 15);
    const key = `${stamp}-${randomBytes(6).toString('hex')}`;
    const dir = join(resolve(root), key);
    try {
      mkdirSync(join(dir, 'files'), { recursive: true });
      writeFileSync(
        join(dir, 'target.json'),
        `${JSON.stringify({ ...target, key, created: now.toISOString() }, null, 2)}\n`,
      );
      writeFileSync(join(dir, 'owner.json'), `${JSON.stringify({ pid: process.pid, hostname: hostname() })}\n`);
    } catch (error) {
      throw new BackendError(
        `Cannot create the MongoDB journal in ${dir}: ${errorMessage(error)}. Choose a writable folder with journalDir or RITUAL_JOURNAL_DIR.`,
        { cause: error },
      );
    }
    return new RunJournal(dir, key, 1);
  }

  /** An existing journal folder (for `ritual sync`). */
  static open(dir: string): RunJournal {
    const journal = new RunJournal(resolve(dir), readTarget(dir).key, 1);
    const events = journal.readEvents();
    journal.binaryOffset = existsSync(join(journal.dir, 'metrics.bin'))
      ? statSync(join(journal.dir, 'metrics.bin')).size
      : 0;
    journal.nextSeq = (events.at(-1)?.seq ?? 0) + 1;
    return journal;
  }

  /** Appends one event and returns it with its sequence number. Synchronous on purpose: see the file comment. */
  append(event: NewJournalEvent): JournalEvent {
    const full = { ...event, seq: this.nextSeq } as JournalEvent;
    let line: string;
    if (full.type === 'metrics') {
      // Points first, then the line that points at them: a kill between the two loses nothing that was acknowledged.
      const { buffer, series } = packMetrics(full.metrics);
      this.binaryFd ??= openSync(join(this.dir, 'metrics.bin'), 'a');
      writeFullySync(this.binaryFd, buffer, join(this.dir, 'metrics.bin'));
      const ref: BinaryMetricsRef = { offset: this.binaryOffset, series };
      this.binaryOffset += buffer.length;
      line = JSON.stringify({ type: 'metrics', seq: full.seq, bin: ref });
    } else {
      line = encodeEvent(full);
    }
    this.fd ??= openSync(join(this.dir, 'events.jsonl'), 'a');
    writeFullySync(this.fd, Buffer.from(`${line}\n`), join(this.dir, 'events.jsonl'));
    this.nextSeq += 1;
    return full;
  }

  /** Copies a file into the journal (copy-on-write where the filesystem can) and returns its name there. */
  copyIn(absolutePath: string): string {
    const name = `${this.nextSeq}-${randomBytes(4).toString('hex')}`;
    copyFileSync(absolutePath, join(this.dir, 'files', name), constants.COPYFILE_FICLONE);
    return name;
  }

  filePath(name: string): string {
    return join(this.dir, 'files', name);
  }

  /** Every complete event; a line cut short by a kill is ignored. */
  readEvents(): JournalEvent[] {
    const path = join(this.dir, 'events.jsonl');
    if (!existsSync(path)) return [];
    const events: JournalEvent[] = [];
    let binary: Buffer | null = null;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line === '') continue;
      let event: JournalEvent & { bin?: BinaryMetricsRef };
      try {
        event = decodeEvent(line) as JournalEvent & { bin?: BinaryMetricsRef };
      } catch {
        break;
      }
      if (event.type === 'metrics' && event.bin) {
        binary ??= readFileSync(join(this.dir, 'metrics.bin'));
        events.push({ type: 'metrics', seq: event.seq, metrics: unpackMetrics(binary, event.bin) });
      } else {
        events.push(event);
      }
    }
    return events;
  }

  readAcked(): number {
    try {
      return Number(readFileSync(join(this.dir, 'acked'), 'utf8')) || 0;
    } catch {
      return 0;
    }
  }

  writeAcked(seq: number): void {
    // Not flushed to disk: a count that a power loss sets back only re-sends batches, which are idempotent.
    writeFileAtomicSync(join(this.dir, 'acked'), String(seq));
  }

  target(): JournalTarget & { key: string } {
    return readTarget(this.dir);
  }

  /** The pid of the process writing this journal, when it is alive on this host (sync must wait for it). */
  liveOwner(): number | null {
    try {
      const owner = JSON.parse(readFileSync(join(this.dir, 'owner.json'), 'utf8')) as { pid: number; hostname: string };
      if (owner.hostname !== hostname() || owner.pid === process.pid) return null;
      process.kill(owner.pid, 0);
      return owner.pid;
    } catch {
      return null;
    }
  }

  closeFile(): void {
    if (this.fd !== null) closeSync(this.fd);
    if (this.binaryFd !== null) closeSync(this.binaryFd);
    this.fd = null;
    this.binaryFd = null;
  }

  remove(): void {
    this.closeFile();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function readTarget(dir: string): JournalTarget & { key: string } {
  try {
    return JSON.parse(readFileSync(join(dir, 'target.json'), 'utf8')) as JournalTarget & { key: string };
  } catch (error) {
    throw new BackendError(`${dir} is not a ritual MongoDB journal (no readable target.json).`, { cause: error });
  }
}

/** The run journals under a root (or the root itself when it is one run's journal). */
export function listJournals(root: string): string[] {
  const dir = resolve(root);
  if (existsSync(join(dir, 'target.json'))) return [dir];
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'target.json')))
    .map((entry) => join(dir, entry.name))
    .sort();
}
