import { Worker } from 'node:worker_threads';

/**
 * A `--timeout` that also stops main when it never yields (a synchronous
 * infinite loop blocks the event loop, so no timer of ours could fire).
 * A worker thread waits out the deadline plus a grace period, then
 * terminates the JavaScript the main thread is executing through the
 * inspector protocol. The event loop survives that, so the overdue timeout
 * timer fires next and the run is recorded as TIMEOUT as usual.
 * Started only when a timeout is asked for: it costs a thread.
 */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const inspector = require('node:inspector');
setTimeout(() => {
  const session = new inspector.Session();
  session.connectToMainThread();
  session.post('Runtime.terminateExecution', () => session.disconnect());
}, workerData.afterMs);
`;

/** Grace after the deadline, during which a main that yields is stopped by the ordinary timer instead. */
const GRACE_MS = 500;

export function startWatchdog(deadlineMs: number): { cancel: () => void } {
  const worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { afterMs: deadlineMs + GRACE_MS } });
  worker.unref();
  return { cancel: () => void worker.terminate() };
}
