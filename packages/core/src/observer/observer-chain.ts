import { ObserverStartError } from '../errors.js';
import type { Observer, TimeoutRecorder } from './observer.js';
import type { RunId } from '../run/run-record.js';
import { UndeliveredJournal } from './undelivered-journal.js';
import { errorMessage } from '../error-message.js';

type Warn = (message: string) => void;
type EventMethod = 'logMetrics' | 'heartbeat' | 'artifactAdded' | 'resourceAdded';
type EndMethod = 'completed' | 'failed' | 'interrupted';

/**
 * Delivers run events to observers in priority order and owns the failure
 * policy, so no observer has to: failing at start refuses the run; failing
 * later is reported once and the observer is skipped until the end event,
 * which every observer still receives. The run never dies of an observer.
 */
export class ObserverChain {
  private readonly observers: Observer[];
  /** Observers that failed mid-run, with the journal that keeps their events (null if even that failed). */
  private readonly broken = new Map<Observer, UndeliveredJournal | null>();
  /** The started event as delivered, the first line of any journal. */
  private startedEvent: unknown = null;

  constructor(
    observers: readonly Observer[],
    private readonly warn: Warn,
    private readonly runLabel = 'run',
  ) {
    // A stable sort keeps the user's order among equal priorities.
    this.observers = distinctStores(observers).sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0));
  }

  get size(): number {
    return this.observers.length;
  }

  /**
   * `started` or `queued`: the first observer that returns an id names the
   * run; later observers receive it. Any failure here refuses the run.
   */
  async open<E extends { runId: RunId | null }>(method: 'started' | 'queued', event: E): Promise<RunId | null> {
    let runId = event.runId;
    for (const observer of this.observers) {
      const handler = observer[method] as ((e: E) => Promise<RunId | void> | RunId | void) | undefined;
      if (!handler) continue;
      try {
        const returned = await handler.call(observer, { ...event, runId });
        if (runId === null && returned !== undefined && returned !== null) runId = returned;
      } catch (cause) {
        throw new ObserverStartError(observer.name, { cause });
      }
    }
    if (method === 'started') this.startedEvent = { ...event, runId };
    return runId;
  }

  /** A mid-run event: skip observers that already failed; a new failure is reported once. */
  async emit<E>(method: EventMethod, event: E): Promise<void> {
    for (const observer of this.observers) {
      const handler = observer[method] as ((e: E) => Promise<void> | void) | undefined;
      if (!handler) continue;
      if (this.broken.has(observer)) {
        this.keep(observer, method, event);
        continue;
      }
      try {
        await handler.call(observer, event);
      } catch (error) {
        this.breakDown(observer, method, event, error);
      }
    }
  }

  /** The first failure: report it once, and from now on keep this observer's events in a journal. */
  private breakDown(observer: Observer, method: string, event: unknown, error: unknown): void {
    let journal: UndeliveredJournal | null = null;
    let kept = 'Its events could not be kept either.';
    try {
      journal = new UndeliveredJournal(observer.name, this.runLabel);
      if (this.startedEvent !== null) journal.record('started', this.startedEvent);
      journal.record(method, event);
      kept = `Its events from now on are kept in ${journal.path}; store them later with: ritual replay ${journal.path} STORE`;
    } catch (journalError) {
      kept = `Its events could not be kept either (${errorMessage(journalError)}).`;
      journal = null;
    }
    this.broken.set(observer, journal);
    this.warn(
      `Observer ${observer.name} failed in ${method}: ${errorMessage(error)}. The run goes on without it. ${kept}`,
    );
  }

  private keep(observer: Observer, method: string, event: unknown): void {
    try {
      this.broken.get(observer)?.record(method, event);
    } catch {
      // Reported when the journal was opened; a journal that fails later has nowhere left to go.
    }
  }

  /** The end event and close go to every observer, failed ones included. */
  async end<E>(method: EndMethod, event: E): Promise<void> {
    for (const observer of this.observers) {
      const handler = observer[method] as ((e: E) => Promise<void> | void) | undefined;
      // A broken observer is still offered the end (it may have recovered); its journal gets it regardless.
      if (this.broken.has(observer)) this.keep(observer, method, event);
      try {
        if (handler) await handler.call(observer, event);
      } catch (error) {
        if (!this.broken.has(observer)) this.breakDown(observer, method, event, error);
      }
    }
  }

  /**
   * What the watchdog needs to record TIMEOUT without this thread, one entry
   * per observer that can (failed ones too: their storage may be back).
   */
  timeoutRecorders(): Array<{ observer: string; recorder: TimeoutRecorder }> {
    const recorders: Array<{ observer: string; recorder: TimeoutRecorder }> = [];
    for (const observer of this.observers) {
      try {
        const recorder = observer.timeoutRecorder?.();
        if (recorder) recorders.push({ observer: observer.name, recorder });
      } catch (error) {
        this.warn(
          `Observer ${observer.name} cannot say how to record a timeout: ${errorMessage(error)}. A main that never yields would leave its run RUNNING there.`,
        );
      }
    }
    return recorders;
  }

  async close(): Promise<void> {
    for (const observer of this.observers) {
      try {
        await observer.close?.();
      } catch (error) {
        this.warn(`Observer ${observer.name} failed to close: ${errorMessage(error)}`);
      }
    }
  }
}

/**
 * The observers without those that write where an earlier one already does:
 * the same folder or database named twice (in code and with -F/-m) is one
 * store, and storing each run in it twice would make two runs of one.
 */
export function distinctStores(observers: readonly Observer[]): Observer[] {
  const seen = new Set<string>();
  return observers.filter((observer) => {
    if (observer.writesTo === undefined) return true;
    if (seen.has(observer.writesTo)) return false;
    seen.add(observer.writesTo);
    return true;
  });
}
