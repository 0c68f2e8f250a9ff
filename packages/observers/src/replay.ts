import { readFile } from 'node:fs/promises';
import { UsageError, type Observer, type RunId, type StartedEvent } from '@ritual/core';
import { parseJournalLine } from '@ritual/core/observer-kit';
import { FileStorageObserver } from './file/observer.js';

/** The events that end a run: a journal holding nothing else means only the final metrics.json rewrite failed. */
const END_EVENTS = new Set(['completed', 'failed', 'interrupted']);
/** Observer methods a journal line may name, in the order a run emits them. */
const REPLAYABLE = new Set([
  'started',
  'logMetrics',
  'heartbeat',
  'artifactAdded',
  'resourceAdded',
  'completed',
  'failed',
  'interrupted',
]);

/** The observer that writes to a store location: a folder or a `mongodb://` URL. */
async function observerFor(location: string): Promise<Observer> {
  if (/^mongodb(\+srv)?:\/\//.test(location)) {
    const { MongoObserver } = await import('./mongo/observer.js');
    return MongoObserver.fromSpec(location);
  }
  return new FileStorageObserver(location);
}

export interface ReplayOutcome {
  /** The id of the run in the target store. */
  runId: RunId | null;
  /**
   * True when the target already held the run up to the fault (a runs folder
   * that filled up, replayed once space is back): the journal's events were
   * added to that run, which now ends as the original did.
   */
  resumed: boolean;
}

/** Deliver a journal's events; see replayUndelivered. Returns the id of the run in the target. */
export async function replayUndeliveredEvents(
  file: string,
  location: string,
  options: { keepId?: boolean } = {},
): Promise<RunId | null> {
  return (await replayUndelivered(file, location, options)).runId;
}

/**
 * Deliver the events of an undelivered-events journal (written when an
 * observer failed mid-run) to a store. When the store is a runs folder that
 * holds the run itself (the one whose disk filled up), the events complete
 * that run in its own folder. Otherwise the run is stored anew, as if it had
 * been observed there from the start, with a new id unless `keepId`.
 */
export async function replayUndelivered(
  file: string,
  location: string,
  options: { keepId?: boolean } = {},
): Promise<ReplayOutcome> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new UsageError(`Cannot read the journal ${file}: ${(cause as Error).message}`, { cause });
  }
  const lines = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      try {
        return parseJournalLine(line);
      } catch (cause) {
        throw new UsageError(
          `Line ${index + 1} of ${file} is not a journal entry (${(cause as Error).message}); was the file edited or cut short?`,
          { cause },
        );
      }
    });
  if (lines[0]?.method !== 'started')
    throw new UsageError(`${file} does not start with the run's started event, so it cannot rebuild a run.`);
  const observer = await observerFor(location);
  let runId: RunId | null = null;
  let resumed = false;
  try {
    for (const { method, event } of lines) {
      if (!REPLAYABLE.has(method)) throw new UsageError(`${file} holds an unknown event ${JSON.stringify(method)}.`);
      const handler = (observer as unknown as Record<string, ((e: unknown) => Promise<unknown> | unknown) | undefined>)[
        method
      ];
      if (method === 'started' && observer instanceof FileStorageObserver) {
        const endOnly = lines.slice(1).every((line) => END_EVENTS.has(line.method));
        runId = await observer.resume(event as unknown as StartedEvent, { endOnly });
        resumed = runId !== null;
        if (resumed) continue;
      }
      if (method === 'started') {
        const returned = await handler?.call(observer, { ...event, runId: options.keepId ? event.runId : null });
        runId = (returned as RunId | undefined) ?? (options.keepId ? (event.runId as RunId) : null);
      } else {
        await handler?.call(observer, { ...event, runId });
      }
    }
  } finally {
    await observer.close?.();
  }
  return { runId, resumed };
}
