import type { RunId } from '@ritual/core';
import type { RunStore } from '@ritual/observers';

/** A metric's last logged value (null when the run has no such metric or it is not a number). */
export async function lastMetricValue(store: RunStore, id: RunId, name: string): Promise<number | null> {
  let last: unknown = null;
  for await (const chunk of store.metricChunks(id, name)) {
    if (chunk.values.length > 0) last = chunk.values[chunk.values.length - 1];
  }
  return typeof last === 'number' ? last : null;
}
