/**
 * A worker (`node train.js worker -m URL`) runs each queued run it claims as a child process of the
 * experiment's own command line and tells it, through this variable, which queued document the run
 * is: the child's MongoObserver then turns that document into the run (same `_id`, QUEUED was
 * already RUNNING by the claim) instead of numbering a new one, as Sacred's queue does in Omniboard.
 */
import { UsageError } from '../errors.js';
import type { RunId } from '../run/run-record.js';

export const QUEUE_CLAIM_ENV = 'RITUAL_QUEUE_CLAIM';

/** A queued run claimed by a worker: its id and the claim's token (stored as `meta.queue.claim`). */
export interface QueueClaim {
  id: RunId;
  /** Unique per claim: a run queued again after a dead attempt gets a new one, so a late child cannot take it. */
  claim: string;
}

export function queueClaimFromEnv(env: NodeJS.ProcessEnv = process.env): QueueClaim | undefined {
  const text = env[QUEUE_CLAIM_ENV];
  if (text === undefined || text === '') return undefined;
  try {
    const claim = JSON.parse(text) as QueueClaim;
    if ((typeof claim.id === 'number' || typeof claim.id === 'string') && typeof claim.claim === 'string') return claim;
  } catch {
    // Reported below with what is expected.
  }
  throw new UsageError(`${QUEUE_CLAIM_ENV} is set by a queue worker for the run it claimed; unset it to run normally.`);
}
