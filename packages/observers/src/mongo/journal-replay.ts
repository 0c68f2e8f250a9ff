import { setTimeout as sleep } from 'node:timers/promises';
import { BackendError, UsageError, type RunId } from '@ritual/core';
import { connectMongo, ensureIndexes, type MongoHandles } from './connection.js';
import { isTransientMongoError } from './driver.js';
import { RunJournal } from './journal.js';
import { DEFAULT_LIMITS, RunWriter } from './run-writer.js';
import { resolveTarget } from './target.js';
import { errorMessage } from '@ritual/core/observer-kit';

export interface ReplayResult {
  dir: string;
  runId: RunId | null;
  /** Events sent now (the rest were already in the database). */
  uploaded: number;
  events: number;
}

export interface ReplayOptions {
  /** Connect here instead of the URL recorded in the journal (required when that URL had a password). */
  url?: string;
  serverSelectionTimeoutMS?: number;
  /** Attempts per operation while the database is unreachable (default 5). */
  attempts?: number;
}

/**
 * Uploads one run's journal: replays every event through the same writer the
 * live observer uses, so the documents equal those of an uninterrupted run.
 * Events already acknowledged are planned (to rebuild the writer's state) but
 * not sent again; the run's own insert is always re-run because it is what
 * finds the run's id (by its journal key). Deletes the journal once the stored
 * run is checked equal to it (counts of points per metric, status, last beat).
 */
export async function replayJournal(dir: string, options: ReplayOptions = {}): Promise<ReplayResult> {
  const journal = RunJournal.open(dir);
  const recorded = journal.target();
  const url = options.url ?? recorded.redactedUrl;
  if (!options.url && recorded.redactedUrl.includes(':***@')) {
    throw new UsageError(
      `The journal ${dir} was written for a password-protected MongoDB (${recorded.redactedUrl}); the password is never stored: pass the full URL to ritual sync.`,
    );
  }
  const target = {
    ...resolveTarget({ url, dbName: recorded.dbName }),
    runsCollection: recorded.runsCollection,
    metricsCollection: recorded.metricsCollection,
  };
  const events = journal.readEvents();
  const acked = journal.readAcked();
  const writer = new RunWriter(journal.key, target.runsCollection, journal, { ...DEFAULT_LIMITS, ...recorded.limits });
  let handles: MongoHandles | null = null;
  let uploaded = 0;
  try {
    handles = await withRetries(options, async () => {
      const connected = await connectMongo(target, {
        serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000,
      });
      await ensureIndexes(connected);
      return connected;
    });
    for (const event of events) {
      const operation = writer.plan(event);
      if (event.type !== 'started' && event.type !== 'queued' && event.seq <= acked) continue;
      const open = handles;
      await withRetries(options, () => operation(open));
      journal.writeAcked(Math.max(acked, event.seq));
      uploaded += 1;
    }
    // Events acknowledged before may since have been lost by the server (a crash): the journal
    // goes only once the stored run equals it (verify re-sends the whole journal if it does not).
    const open = handles;
    const differences = writer.runId === null ? [] : await withRetries(options, () => writer.verify(open));
    if (differences.length > 0) {
      throw new BackendError(
        `The run in MongoDB still differs from its journal after a full upload (${differences.join('; ')}); the journal ${dir} is kept.`,
      );
    }
  } finally {
    await handles?.client.close(true).catch(() => {});
  }
  journal.remove();
  return { dir: journal.dir, runId: writer.runId, uploaded, events: events.length };
}

async function withRetries<T>(options: ReplayOptions, action: () => Promise<T>): Promise<T> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await action();
    } catch (error) {
      if (!isTransientMongoError(error) || attempt >= attempts) {
        throw new BackendError(
          `Upload to MongoDB failed: ${errorMessage(error)}. The journal is kept; run ritual sync again when the database is reachable.`,
          { cause: error },
        );
      }
      await sleep(500 * attempt);
    }
  }
}
