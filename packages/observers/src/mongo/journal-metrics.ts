import { endianness } from 'node:os';
import type { MetricSeries } from '@ritual/core';
import { BackendError } from '@ritual/core';

/**
 * Metric points in the journal are binary, not JSON: a flush can hold millions
 * of points, and JSON costs microseconds per point on the training thread,
 * where a copy into float64 arrays costs nanoseconds and keeps NaN, ±Infinity
 * and every double exactly. Each series is its steps, then values, then
 * timestamps (epoch ms), as little-endian float64, appended to `metrics.bin`;
 * the event line in events.jsonl holds the offset and the series' names and counts.
 */
export interface BinaryMetricsRef {
  offset: number;
  series: Array<{ name: string; count: number }>;
}

function requireLittleEndian(): void {
  if (endianness() !== 'LE')
    throw new BackendError(
      'The MongoDB journal stores metric points as little-endian float64; this machine is big-endian, which ritual does not support yet.',
    );
}

export function packMetrics(metrics: MetricSeries[]): { buffer: Buffer; series: BinaryMetricsRef['series'] } {
  requireLittleEndian();
  const total = metrics.reduce((sum, metric) => sum + metric.steps.length, 0);
  const numbers = new Float64Array(total * 3);
  let at = 0;
  for (const metric of metrics) {
    const count = metric.steps.length;
    for (let i = 0; i < count; i += 1) numbers[at + i] = metric.steps[i]!;
    at += count;
    for (let i = 0; i < count; i += 1) numbers[at + i] = metric.values[i]!;
    at += count;
    for (let i = 0; i < count; i += 1) numbers[at + i] = metric.timestamps[i]!;
    at += count;
  }
  return {
    buffer: Buffer.from(numbers.buffer, numbers.byteOffset, numbers.byteLength),
    series: metrics.map((metric) => ({ name: metric.name, count: metric.steps.length })),
  };
}

export function unpackMetrics(file: Buffer, ref: BinaryMetricsRef): MetricSeries[] {
  requireLittleEndian();
  const total = ref.series.reduce((sum, series) => sum + series.count, 0);
  if (ref.offset + total * 24 > file.length)
    throw new BackendError('metrics.bin is shorter than its journal says (the journal is damaged).');
  // Copy out: the file buffer's offset may not be 8-byte aligned for a Float64Array view.
  const numbers = new Float64Array(total * 3);
  Buffer.from(numbers.buffer).set(file.subarray(ref.offset, ref.offset + total * 24));
  let at = 0;
  return ref.series.map(({ name, count }) => {
    const steps = Array.from(numbers.subarray(at, at + count));
    const values = Array.from(numbers.subarray(at + count, at + 2 * count));
    const timestamps = Array.from(numbers.subarray(at + 2 * count, at + 3 * count));
    at += 3 * count;
    return { name, steps, values, timestamps };
  });
}
