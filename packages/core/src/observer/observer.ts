import type { QueueClaim } from '../queue/queue-claim.js';
import type { ExperimentInfo, HostInfo, JsonObject, MetricSeries, RunId, RunMeta } from '../run/run-record.js';

/**
 * The observer contract: every method is optional, async-capable and
 * receives one event object. The Run awaits observers one after another in
 * priority order (highest first: mongo 30, file 20, console 10).
 *
 * Failure policy (enforced by the Run, not by each observer):
 * - an observer that throws in `started`/`queued` refuses the run before main runs;
 * - one that throws later is reported once, then skipped for heartbeats,
 *   metrics and artifacts, but still given the end event and `close`.
 */
export interface Observer {
  /** Shown in warnings, e.g. `FileStorageObserver(runs)`. */
  readonly name: string;
  /** Higher runs first. Defaults to 0. */
  readonly priority?: number;
  /**
   * Where this observer stores runs, as one comparable string (the file
   * observer: its absolute folder; MongoDB: hosts, database and collection).
   * Two observers with the same value would store every run twice, so a run
   * keeps only the first of them (`ex.observe(new FileStorageObserver('runs'))`
   * plus `-F runs` is one store). Observers without it are never merged.
   */
  readonly writesTo?: string;

  /** A queued run (`-q`): store everything needed to start it later. May return the run id. */
  queued?(event: QueuedEvent): Promise<RunId | void> | RunId | void;
  /** The run starts. The first observer (by priority) that returns an id names the run; later ones get it in `event.runId`. */
  started?(event: StartedEvent): Promise<RunId | void> | RunId | void;
  /** New metric points since the last flush; always delivered just before a heartbeat. */
  logMetrics?(event: MetricsEvent): Promise<void> | void;
  /** Periodic beat (every `-b` seconds) and one final beat before the end event. */
  heartbeat?(event: HeartbeatEvent): Promise<void> | void;
  artifactAdded?(event: ArtifactEvent): Promise<void> | void;
  resourceAdded?(event: ResourceEvent): Promise<void> | void;
  /** Exactly one of completed, failed, interrupted ends a started run. */
  completed?(event: CompletedEvent): Promise<void> | void;
  failed?(event: FailedEvent): Promise<void> | void;
  /** SIGINT, SIGTERM (status INTERRUPTED) or a timeout (status TIMEOUT). */
  interrupted?(event: InterruptedEvent): Promise<void> | void;
  /** Release files and connections; called once after the end event, even if the observer failed earlier. */
  close?(): Promise<void> | void;
  /**
   * How to record TIMEOUT for the current run without this thread: when main
   * never yields under `--timeout` (a synchronous infinite loop), no event can
   * be delivered, so a watchdog thread loads `module` and calls its export
   * before the process is killed (see watchdog.ts). Null when there is nothing
   * to record (no run yet). Observers without it leave such a run RUNNING, to
   * be shown as probably dead.
   */
  timeoutRecorder?(): TimeoutRecorder | null;
}

/**
 * A function that records a forced end from another thread. Only plain data
 * crosses to that thread, so it names a module and an export rather than
 * holding a closure.
 */
export interface TimeoutRecorder {
  /** URL of an ES module (usually the recorder's own `import.meta.url`). */
  module: string;
  /** Name of an export `(args, end: ForcedEnd) => Promise<string>` that returns a line saying what it recorded. */
  exportName: string;
  /** Structured-clonable arguments: where the run is stored. */
  args: unknown;
}

/** What a TimeoutRecorder records. */
export interface ForcedEnd {
  status: 'TIMEOUT';
  stopTime: Date;
}

interface RunEventBase {
  /** The run's id once named (null before the first observer names it, or when unobserved). */
  runId: RunId | null;
}

interface RunOpeningEvent extends RunEventBase {
  /**
   * The id the user asked for (`--id`), which an observer must honour or
   * refuse; null when none. A `runId` that differs from it was named by a
   * higher-priority observer, and a backend whose own numbering is taken
   * there may use its next free id instead. Absent (events built by hand):
   * treat `runId` as asked for.
   */
  requestedId?: RunId | null;
}

export interface StartedEvent extends RunOpeningEvent {
  experiment: ExperimentInfo;
  command: string;
  host: HostInfo;
  startTime: Date;
  /** The final config, seed included. */
  config: JsonObject;
  meta: RunMeta;
  /**
   * Set when a queue worker started this run for a QUEUED run it claimed: the backend holding the
   * queue turns that document into this run (same id) instead of storing a new one; others ignore it.
   */
  claimed?: QueueClaim;
}

export interface QueuedEvent extends RunOpeningEvent {
  experiment: ExperimentInfo;
  command: string;
  host: HostInfo;
  queueTime: Date;
  config: JsonObject;
  meta: RunMeta;
}

export interface HeartbeatEvent extends RunEventBase {
  /** The run's free-form info dict, whole (small by convention). */
  info: JsonObject;
  /** Console output captured since the previous beat (only the new part). */
  capturedOutDelta: string;
  beatTime: Date;
  /** The result so far (usually undefined until the end). */
  result: unknown;
}

export interface MetricsEvent extends RunEventBase {
  /** One entry per metric that received points since the last flush. */
  metrics: MetricSeries[];
  /** The run's info dict, so a backend can record metric ids in it (Sacred's `info.metrics`). */
  info: JsonObject;
}

export interface ArtifactEvent extends RunEventBase {
  /** Name under which the artifact is stored, e.g. `model/model.json`. */
  name: string;
  /** Absolute path of the file to store. */
  path: string;
  contentType?: string;
  metadata?: JsonObject;
}

export interface ResourceEvent extends RunEventBase {
  /** Absolute path of the resource that was opened. */
  path: string;
  md5: string;
}

export interface CompletedEvent extends RunEventBase {
  stopTime: Date;
  result: unknown;
}

export interface FailedEvent extends RunEventBase {
  stopTime: Date;
  /** The error's trace, one string per line, as Sacred stores it. */
  failTrace: string[];
}

export interface InterruptedEvent extends RunEventBase {
  stopTime: Date;
  status: 'INTERRUPTED' | 'TIMEOUT';
}
