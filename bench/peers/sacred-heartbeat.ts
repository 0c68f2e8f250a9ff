/**
 * Sacred's side of benchmark 3: one FileStorageObserver heartbeat
 * (log_metrics of the new points + heartbeat_event) after N stored points,
 * measured by bench/peers/sacred/heartbeat.py.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sacredResult } from './sacred.js';

export interface SacredHeartbeatOptions {
  /** Points already stored when the timed beats happen, e.g. [10_000, 100_000, 1_000_000]. */
  sizes: number[];
  /** New points each timed beat flushes. */
  batch: number;
  repeats: number;
}

export interface SacredHeartbeatPoint {
  storedPoints: number;
  medianMs: number;
  timesMs: number[];
}

export async function sacredHeartbeat(options: SacredHeartbeatOptions): Promise<SacredHeartbeatPoint[]> {
  const scratch = await mkdtemp(join(tmpdir(), 'ritual-bench-sacred-heartbeat-'));
  try {
    const result = await sacredResult<{ points: SacredHeartbeatPoint[] }>('heartbeat.py', [
      scratch,
      options.sizes.join(','),
      String(options.batch),
      String(options.repeats),
    ]);
    return result.points;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
