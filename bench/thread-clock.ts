/**
 * The main thread's own clock, from Linux's scheduler statistics
 * (`/proc/self/task/<pid>/schedstat`: nanoseconds on a CPU, nanoseconds
 * runnable but waiting for one, timeslices).
 *
 * Why: on a shared machine a run's wall time includes the time its main
 * thread was ready to run while other jobs held every core. That wait is
 * what makes identical trainings differ by 30 % here, and it is not the
 * library's doing. Wall time minus that wait is the wall time the run would
 * have had on an idle machine (the thread was either running or waiting for
 * its own I/O and timers), the figure to compare when the machine is busy.
 * `process.cpuUsage()` cannot give it: it sums every thread of the process.
 */
import { readFileSync } from 'node:fs';

export interface ThreadClock {
  /** Time the main thread spent on a CPU (ms). */
  cpuMs: number;
  /** Time the main thread was runnable but waited for a CPU (ms). */
  runQueueMs: number;
}

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;

/** The main thread's clock now, or null where the kernel does not expose it (not Linux, no schedstats). */
export function readThreadClock(): ThreadClock | null {
  try {
    const [onCpu, waiting] = readFileSync(SCHEDSTAT, 'utf8').trim().split(/\s+/).map(Number);
    if (!Number.isFinite(onCpu) || !Number.isFinite(waiting)) return null;
    return { cpuMs: onCpu! / 1e6, runQueueMs: waiting! / 1e6 };
  } catch {
    return null;
  }
}

/** What the main thread used between two readings (null if either is missing). */
export function threadClockSince(start: ThreadClock | null): ThreadClock | null {
  const end = readThreadClock();
  if (start === null || end === null) return null;
  return { cpuMs: end.cpuMs - start.cpuMs, runQueueMs: end.runQueueMs - start.runQueueMs };
}
