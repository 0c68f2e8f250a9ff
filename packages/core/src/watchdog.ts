import { Worker } from 'node:worker_threads';

/**
 * The last resort of `--timeout`: a main that never yields (a synchronous
 * infinite loop) blocks the event loop, so the ordinary timeout timer can
 * never fire and nothing can be recorded. A worker thread waits out the
 * deadline plus a grace period and then kills the process, saying why: the
 * run keeps its last heartbeat and shows as probably dead (`ritual ls`).
 * Interrupting the blocked JavaScript instead (inspector's
 * terminateExecution) was tried and crashes Node inside timer callbacks.
 * Started only when a timeout is asked for: it costs a thread.
 */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
setTimeout(() => {
  writeSync(2, 'ritual: main has not yielded to the event loop for ' + workerData.graceSeconds +
    ' s after --timeout; killing the process. The run keeps its last heartbeat and shows as probably dead.\\n');
  process.kill(process.pid, 'SIGKILL');
}, workerData.afterMs);
`;

/** Time a main that does yield has to be stopped by the ordinary timer before the process is killed. */
const GRACE_MS = 10_000;

export function startWatchdog(deadlineMs: number): { cancel: () => void } {
  const worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { afterMs: deadlineMs + GRACE_MS, graceSeconds: GRACE_MS / 1000 } });
  worker.unref();
  return { cancel: () => void worker.terminate() };
}
