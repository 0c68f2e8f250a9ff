import { ObserverStartError } from './errors.js';
import type { Observer } from './observer.js';
import type { RunId } from './run-record.js';

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
  private readonly broken = new Set<Observer>();

  constructor(
    observers: readonly Observer[],
    private readonly warn: Warn,
  ) {
    // A stable sort keeps the user's order among equal priorities.
    this.observers = [...observers].sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0));
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
    return runId;
  }

  /** A mid-run event: skip observers that already failed; a new failure is reported once. */
  async emit<E>(method: EventMethod, event: E): Promise<void> {
    for (const observer of this.observers) {
      if (this.broken.has(observer)) continue;
      const handler = observer[method] as ((e: E) => Promise<void> | void) | undefined;
      if (!handler) continue;
      try {
        await handler.call(observer, event);
      } catch (error) {
        this.broken.add(observer);
        this.warn(
          `Observer ${observer.name} failed in ${method}: ${describe(error)}. ` +
            'It is skipped for the rest of the run but still receives the end event.',
        );
      }
    }
  }

  /** The end event and close go to every observer, failed ones included. */
  async end<E>(method: EndMethod, event: E): Promise<void> {
    for (const observer of this.observers) {
      const handler = observer[method] as ((e: E) => Promise<void> | void) | undefined;
      try {
        if (handler) await handler.call(observer, event);
      } catch (error) {
        this.warn(`Observer ${observer.name} failed to record the end of the run (${method}): ${describe(error)}`);
      }
    }
  }

  async close(): Promise<void> {
    for (const observer of this.observers) {
      try {
        await observer.close?.();
      } catch (error) {
        this.warn(`Observer ${observer.name} failed to close: ${describe(error)}`);
      }
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
