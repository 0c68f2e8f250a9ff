/**
 * Records TIMEOUT in a run folder from the watchdog thread, when main never
 * yields under `--timeout` and the FileStorageObserver can get no event (see
 * the watchdog in @ritual/core). It runs in a worker thread of the stuck
 * process, so it takes plain data and touches only the disk: metrics.json is
 * brought up to date with the metrics log (it may lag half the points of a
 * long run), then run.json gets the status and stop time, each written
 * atomically like every write of the observer.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ForcedEnd, TimeoutRecorder } from '@ritual/core';
import { MetricsLog } from './metrics-log.js';
import { METRICS_LOG, PRIVATE_DIR, RUN_FILES } from './run-folder.js';
import { readSacredJson, writeSacredJson } from './sacred-json.js';

/**
 * Logs above this size are not read whole into a stuck process's memory;
 * their metrics.json keeps its last rewrite and `ritual` still reads every
 * point from the log.
 */
const MAX_LOG_BYTES = 64 * 1024 * 1024;

interface FileTimeoutArgs {
  runDir: string;
}

export function fileTimeoutRecorder(runDir: string): TimeoutRecorder {
  const args: FileTimeoutArgs = { runDir };
  return { module: import.meta.url, exportName: 'recordFileTimeout', args };
}

export async function recordFileTimeout(args: FileTimeoutArgs, end: ForcedEnd): Promise<string> {
  const file = join(args.runDir, RUN_FILES.run);
  const entry = (await readSacredJson(file)) as Record<string, unknown>;
  // The ordinary end may have been written just before main got stuck again (or by another thread): never overwrite it.
  if (entry.status !== 'RUNNING') return `${file} already says ${String(entry.status)}; left as it is.`;
  const metricsNote = await completeMetricsJson(args.runDir);
  entry.status = end.status;
  entry.stop_time = end.stopTime;
  await writeSacredJson(file, entry, { tempDir: join(args.runDir, PRIVATE_DIR), durable: true });
  return `${end.status} recorded in ${file}${metricsNote}.`;
}

/** Rewrites metrics.json from the log, as the observer's end of run would. */
async function completeMetricsJson(runDir: string): Promise<string> {
  try {
    if ((await stat(join(runDir, METRICS_LOG))).size > MAX_LOG_BYTES)
      return ' (metrics.json keeps its last rewrite; the metrics log has every flushed point)';
  } catch {
    return ''; // no metrics logged
  }
  await MetricsLog.rebuild(runDir);
  return '';
}
