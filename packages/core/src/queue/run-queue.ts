/**
 * What the `worker` command needs from the place QUEUED runs are stored. Core defines it and never
 * imports a database driver; @ritual/observers implements it for MongoDB (MongoRunQueue) and is
 * loaded by name when `worker -m URL` runs, as `-m` loads the MongoObserver.
 */
import { MissingDependencyError, UsageError } from '../errors.js';
import type { JsonObject, RunId, RunStatus } from '../run/run-record.js';
import type { QueueClaim } from './queue-claim.js';

/** A QUEUED run a worker claimed: everything needed to start it, and the claim that makes it this worker's. */
export interface ClaimedRun extends QueueClaim {
  command: string;
  config: JsonObject;
  namedConfigs: string[];
  /** Sacred's `meta.options` as stored when the run was queued (`--force`, `--name`, `--capture`...). */
  options: Record<string, unknown>;
  /** `[relative path, md5]` of the sources when it was queued (empty for runs queued by Sacred). */
  sources: Array<[string, string]>;
  /** How many times it was claimed, this claim included. */
  attempts: number;
}

/** A dead run the claim pass found: FAILED, or QUEUED again for another attempt. */
export interface ReapedRun {
  id: RunId;
  status: 'FAILED' | 'QUEUED';
  attempts: number;
}

export interface ClaimRequest {
  experiment: string;
  /** Who claims (host:pid:random), recorded as `meta.queue.worker`. */
  worker: string;
}

export interface ReapRequest extends ClaimRequest {
  /** A RUNNING run claimed from the queue whose heartbeat is older than this is dead. */
  deadAfterMs: number;
  /** A dead run claimed at most `retries` times is queued again; after that it is FAILED. */
  retries: number;
}

export interface RunQueue {
  /** Where the queue is, safe to print (no password). */
  readonly name: string;
  /** One atomic update: the best QUEUED run of the experiment (highest priority, then oldest) becomes RUNNING. */
  claim(request: ClaimRequest): Promise<ClaimedRun | null>;
  /** Marks dead runs of the experiment FAILED or QUEUED again, each with one atomic update. */
  reap(request: ReapRequest): Promise<ReapedRun[]>;
  /** The worker's own heartbeat for a claimed run (its child may still be starting); false when another claim has it. */
  beat(claim: QueueClaim): Promise<boolean>;
  /** Gives a claimed run back unrun (QUEUED, the attempt not counted): `--strict` refused it. */
  release(claim: QueueClaim): Promise<void>;
  /**
   * After the run's process exited: its stored status, or, when it is still RUNNING under this claim
   * (the process ended before storing the run's end), FAILED with this trace (`abandoned`). `LOST`:
   * another claim has the run now (this one was declared dead).
   */
  settle(claim: QueueClaim, failTrace: string[]): Promise<{ status: RunStatus | 'LOST'; abandoned: boolean }>;
  close(): Promise<void>;
}

/** The part of @ritual/observers the worker needs. */
interface QueuePackage {
  openRunQueue(spec: string): Promise<RunQueue>;
}

/**
 * The queue named on the worker's command line. Only MongoDB: claiming must be one atomic update
 * that many machines can race on, which a folder of run files shared over a network cannot promise.
 */
export async function queueFromOptions(options: { fileStorage?: string; mongoDb?: string }): Promise<RunQueue> {
  if (options.mongoDb === undefined) {
    const given = options.fileStorage !== undefined ? ` (-F ${options.fileStorage} is a file store)` : '';
    throw new UsageError(
      `The worker takes queued runs from MongoDB only${given}: add -m URL, e.g. worker -m mongodb://localhost:27017/sacred.`,
    );
  }
  if (options.fileStorage !== undefined)
    throw new UsageError(
      'The worker takes runs from the MongoDB queue only: leave -F out (the runs are stored by -m).',
    );
  const specifier = '@ritual/observers';
  let observers: QueuePackage;
  try {
    observers = (await import(specifier)) as QueuePackage;
  } catch (cause) {
    throw new MissingDependencyError(specifier, 'for the worker command', { cause });
  }
  return observers.openRunQueue(options.mongoDb);
}
