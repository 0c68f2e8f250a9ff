import type { StoredRun } from './store.js';

/**
 * A RUNNING run whose last heartbeat is older than this is shown as probably
 * dead: beats come every 10 s by default, so two minutes of silence means
 * the process was killed without a chance to say so (SIGKILL, power loss).
 */
export const DEAD_AFTER_MS = 2 * 60 * 1000;

export function isProbablyDead(run: Pick<StoredRun, 'status' | 'heartbeat' | 'start_time'>, now: Date): boolean {
  if (run.status !== 'RUNNING') return false;
  const last = run.heartbeat ?? run.start_time;
  return last !== null && now.getTime() - last.getTime() > DEAD_AFTER_MS;
}
