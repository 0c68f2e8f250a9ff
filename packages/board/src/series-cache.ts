import type { RunId } from '@ritual/core';
import type { RunStore } from '@ritual/observers';
import { indexBlocks, type SeriesArrays } from './series-downsample.js';

/** What a chart's x axis is: the step logged with the point, or its wall-clock time (epoch ms). */
export type XAxis = 'step' | 'time';

/**
 * Points kept in memory across series (16 bytes each: x and y). A zoom asks
 * for the same series again, so the arrays of the last few series are kept
 * instead of re-reading (and re-parsing) them from the store each time.
 */
const CACHED_POINTS = 16_000_000;

interface Entry {
  key: string;
  series: SeriesArrays;
}

/**
 * Series read from the stores as typed arrays, least recently used dropped
 * first. The key holds the run's heartbeat: metrics are flushed just before
 * each heartbeat, so a new beat means new points and a new key, and a
 * stopped run's series is read once.
 */
export class SeriesCache {
  private readonly entries = new Map<string, Entry>();
  private points = 0;

  constructor(private readonly capacity = CACHED_POINTS) {}

  async load(store: RunStore, storeKey: string, id: RunId, name: string, axis: XAxis, version: string) {
    const key = JSON.stringify([storeKey, id, name, axis, version]);
    const cached = this.entries.get(key);
    if (cached) {
      // re-insert: Map keeps insertion order, so the first entry is the least recently used
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached.series;
    }
    const series = await readSeries(store, id, name, axis);
    this.entries.set(key, { key, series });
    this.points += series.x.length;
    for (const [oldKey, entry] of this.entries) {
      if (this.points <= this.capacity || oldKey === key) break;
      this.entries.delete(oldKey);
      this.points -= entry.series.x.length;
    }
    return series;
  }
}

/** One metric of a run, streamed chunk by chunk into growing typed arrays. */
export async function readSeries(store: RunStore, id: RunId, name: string, axis: XAxis): Promise<SeriesArrays> {
  let x: Float64Array = new Float64Array(1024);
  let y: Float64Array = new Float64Array(1024);
  let n = 0;
  let sorted = true;
  for await (const chunk of store.metricChunks(id, name)) {
    const xs = axis === 'step' ? chunk.steps : chunk.timestamps;
    const count = chunk.values.length;
    if (n + count > x.length) {
      const size = Math.max(x.length * 2, n + count);
      x = grow(x, size);
      y = grow(y, size);
    }
    for (let i = 0; i < count; i++) {
      const xi = Number(xs[i]);
      const value = chunk.values[i];
      if (n > 0 && xi < (x[n - 1] as number)) sorted = false;
      x[n] = xi;
      // a diverged metric logs NaN or null: kept as a gap, not dropped, so counts stay honest
      y[n] = typeof value === 'number' ? value : Number.NaN;
      n++;
    }
  }
  const values = y.subarray(0, n);
  return { x: x.subarray(0, n), y: values, sorted, blocks: indexBlocks(values) };
}

function grow(array: Float64Array, size: number): Float64Array {
  const bigger = new Float64Array(size);
  bigger.set(array);
  return bigger;
}
