import type { MetricSeries, RunStatus } from '@ritual/core';
import { DEAD_AFTER_MS, isProbablyDead, type StoredRun } from '@ritual/observers';

export { DEAD_AFTER_MS, isProbablyDead };

/** What `ls` and `show` display as the status: `RUNNING?` marks a run that stopped beating. */
export type DisplayStatus = RunStatus | 'RUNNING?';

export function displayStatus(run: Pick<StoredRun, 'status' | 'heartbeat' | 'start_time'>, now: Date): DisplayStatus {
  return isProbablyDead(run, now) ? 'RUNNING?' : run.status;
}

/**
 * How long the run took (stopped), or has been running (alive), or ran
 * until its last beat (probably dead); null when the times are unknown.
 */
export function durationMs(
  run: Pick<StoredRun, 'status' | 'heartbeat' | 'start_time' | 'stop_time'>,
  now: Date,
): number | null {
  if (run.start_time === null) return null;
  const end = run.stop_time ?? (run.status === 'RUNNING' && !isProbablyDead(run, now) ? now : run.heartbeat);
  return end === null ? null : Math.max(0, end.getTime() - run.start_time.getTime());
}

export interface MetricSummary {
  name: string;
  count: number;
  last: number | null;
  lastStep: number | null;
  min: number | null;
  max: number | null;
}

/** last/min/max/count of one series; NaN values (a diverged loss) are counted but not min/max. */
export function summarizeMetric(series: MetricSeries): MetricSummary {
  let min: number | null = null;
  let max: number | null = null;
  for (const value of series.values) {
    if (typeof value !== 'number' || Number.isNaN(value)) continue;
    if (min === null || value < min) min = value;
    if (max === null || value > max) max = value;
  }
  const lastIndex = series.values.length - 1;
  return {
    name: series.name,
    count: series.values.length,
    last: lastIndex >= 0 ? (series.values[lastIndex] ?? null) : null,
    lastStep: lastIndex >= 0 ? (series.steps[lastIndex] ?? null) : null,
    min,
    max,
  };
}
