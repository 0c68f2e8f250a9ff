import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { appendFileWholeSync } from '../atomic-file.js';

/** One line of an undelivered-events journal: an observer method and its event. */
export interface JournalLine {
  method: string;
  event: Record<string, unknown>;
}

/** Event fields that hold Dates (JSON turns them into strings; reading turns them back). */
const DATE_FIELDS = new Set(['startTime', 'stopTime', 'beatTime', 'queueTime', 'queue_time']);

/**
 * Where events go that an observer could not take (its folder vanished, the
 * disk filled up, …): one JSON line per event, written synchronously and
 * flushed to disk (fsync) so that the order holds and neither a crash nor a
 * power loss right after loses it; events come at most once a heartbeat
 * per broken observer, so the flush costs little. The first line is
 * the run's `started` event, so the file alone is enough to rebuild the run
 * with `ritual replay FILE STORE`.
 */
export class UndeliveredJournal {
  readonly path: string;

  constructor(observerName: string, runLabel: string) {
    const dir = process.env.RITUAL_JOURNAL_DIR ?? join(homedir(), '.cache', 'ritual', 'undelivered');
    mkdirSync(dir, { recursive: true });
    const safe = (text: string) => text.replace(/[^\w.-]+/g, '_').slice(0, 60);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    this.path = join(dir, `${safe(runLabel)}-${stamp}-${safe(observerName)}.jsonl`);
  }

  record(method: string, event: unknown): void {
    // Whole lines only: a line cut short would glue onto the next one and make the journal unreadable.
    appendFileWholeSync(this.path, `${JSON.stringify({ method, event }, keepNonFinite)}\n`, { durable: true });
  }
}

/** A diverging loss (NaN, Infinity) is real data: JSON would turn it into null. */
function keepNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? { $float: String(value) } : value;
}

/** Read one journal line back into an event, with its Dates and non-finite numbers. */
export function parseJournalLine(text: string): JournalLine {
  return JSON.parse(text, function revive(key, value: unknown) {
    if (value !== null && typeof value === 'object' && '$float' in value && Object.keys(value).length === 1)
      return Number((value as { $float: string }).$float);
    if (DATE_FIELDS.has(key) && typeof value === 'string') return new Date(value);
    return value;
  }) as JournalLine;
}
