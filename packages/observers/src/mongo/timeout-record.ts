/**
 * Records TIMEOUT for a MongoDB run from the watchdog thread, when main never
 * yields under `--timeout` and the MongoObserver can get no event (see the
 * watchdog in @ritual/core). The end goes where every event goes first, the
 * run's journal, which is then uploaded as `ritual sync` would: replay is
 * idempotent, so events the live uploader already sent are not doubled. If
 * the database does not answer in time, the journal keeps the end for
 * `ritual sync` (the process that owned it is dead by then).
 */
import type { ForcedEnd, TimeoutRecorder } from '@ritual/core';
import { RunJournal } from './journal.js';
import { replayJournal } from './journal-replay.js';
import { errorMessage } from '@ritual/core/observer-kit';

interface MongoTimeoutArgs {
  journalDir: string;
  /** The URL as given, password included: it stays in this process's memory, never in a file. */
  url: string;
  redactedUrl: string;
  serverSelectionTimeoutMS: number;
}

export function mongoTimeoutRecorder(args: MongoTimeoutArgs): TimeoutRecorder {
  return { module: import.meta.url, exportName: 'recordMongoTimeout', args };
}

export async function recordMongoTimeout(args: MongoTimeoutArgs, end: ForcedEnd): Promise<string> {
  // Main is stuck in the run, so its journal has no end yet (the watchdog is stopped by any ordinary end).
  const journal = RunJournal.open(args.journalDir);
  journal.append({ type: 'interrupted', stopTime: end.stopTime, status: end.status });
  journal.closeFile();
  try {
    // One attempt: the watchdog's budget is short, and the journal already holds the end for ritual sync.
    const result = await replayJournal(args.journalDir, {
      url: args.url,
      serverSelectionTimeoutMS: args.serverSelectionTimeoutMS,
      attempts: 1,
    });
    return `${end.status} of run ${String(result.runId)} recorded in MongoDB at ${args.redactedUrl}.`;
  } catch (error) {
    return `${end.status} recorded in the journal ${args.journalDir}, not yet in MongoDB (${errorMessage(error)}); upload it with: ritual sync ${JSON.stringify(args.journalDir)} ${args.redactedUrl}`;
  }
}
