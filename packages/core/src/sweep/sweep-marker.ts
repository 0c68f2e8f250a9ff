/**
 * A sweep starts each of its runs as a child process (the experiment's own command line) and tells it,
 * through this variable, which sweep it belongs to and where to leave its outcome. The run records the
 * first part as `meta.sweep`; the outcome (status, id, result, the ranked metric's last value) is how
 * the sweep ranks runs even when they are unobserved.
 */
import { writeFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { errorMessage } from '../error-message.js';
import type { RunId, RunStatus, RunSweep } from '../run/run-record.js';

export const SWEEP_ENV = 'RITUAL_SWEEP';

export interface SweepMarker extends RunSweep {
  /** File the run writes its SweepRunReport to. */
  report: string;
  /** The metric whose last value the report carries (`--sweep-metric`). */
  metric?: string;
}

/** What a sweep's run reports back when it ends. */
export interface SweepRunReport {
  status: RunStatus;
  id: RunId | null;
  result: unknown;
  /** Last value of the marker's metric, when it was logged. */
  metric?: number;
}

export function sweepMarkerFromEnv(env: NodeJS.ProcessEnv = process.env): SweepMarker | undefined {
  const text = env[SWEEP_ENV];
  if (text === undefined || text === '') return undefined;
  try {
    const marker = JSON.parse(text) as SweepMarker;
    if (typeof marker.id === 'string' && Number.isInteger(marker.index) && typeof marker.report === 'string')
      return marker;
  } catch {
    // Reported below with what is expected.
  }
  throw new UsageError(`${SWEEP_ENV} is set by a --multirun sweep for its runs; unset it to run normally.`);
}

/** `meta.sweep` of a sweep's run (the marker without its plumbing). */
export function runSweepOf(marker: SweepMarker): RunSweep {
  return { id: marker.id, index: marker.index, size: marker.size, seed: marker.seed };
}

/** Leaves the run's outcome for the sweep; a failure is a warning (the run itself is stored either way). */
export function writeSweepReport(marker: SweepMarker, report: SweepRunReport): void {
  let result = report.result;
  try {
    JSON.stringify(result);
  } catch {
    result = String(result);
  }
  try {
    writeFileSync(marker.report, JSON.stringify({ ...report, result }));
  } catch (error) {
    process.stderr.write(`WARNING - could not report to the sweep: ${errorMessage(error)}\n`);
  }
}
