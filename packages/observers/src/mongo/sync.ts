import { replayJournal, type ReplayResult } from './journal-replay.js';
import { defaultJournalRoot, listJournals, RunJournal } from './journal.js';
import { errorMessage } from '@ritual/core/observer-kit';

export interface SyncReport {
  uploaded: ReplayResult[];
  /** Journals left alone: their run is still being written by a live process. */
  skipped: Array<{ dir: string; reason: string }>;
  failed: Array<{ dir: string; error: Error }>;
}

export interface SyncOutput {
  write(text: string): unknown;
}

/**
 * `ritual sync [JOURNAL_DIR] [URL]`: uploads the MongoDB journals of runs that
 * ended (or were killed) while the database was unreachable. JOURNAL_DIR is a
 * journal root (default: the MongoObserver's default) or one run's journal;
 * URL overrides the recorded one (needed when it had a password).
 */
export async function runSync(
  journalDir: string | undefined,
  url: string | undefined,
  out: SyncOutput = process.stdout,
): Promise<SyncReport> {
  const root = journalDir ?? defaultJournalRoot();
  const report: SyncReport = { uploaded: [], skipped: [], failed: [] };
  const dirs = listJournals(root);
  if (dirs.length === 0) {
    out.write(`Nothing to upload: no MongoDB journals in ${root}.\n`);
    return report;
  }
  for (const dir of dirs) {
    const owner = RunJournal.open(dir).liveOwner();
    if (owner !== null) {
      report.skipped.push({ dir, reason: `still written by process ${owner}` });
      out.write(`Skipped ${dir}: its run is still being written by process ${owner}.\n`);
      continue;
    }
    try {
      const result = await replayJournal(dir, url ? { url } : {});
      report.uploaded.push(result);
      out.write(
        `Uploaded run ${result.runId} (${result.uploaded} of ${result.events} events were missing) from ${dir}.\n`,
      );
    } catch (error) {
      report.failed.push({ dir, error: error as Error });
      out.write(`Could not upload ${dir}: ${errorMessage(error)}\n`);
    }
  }
  return report;
}
