import type { RunId } from '@ritual/core';
import type { RunStore } from '@ritual/observers';

/** The value at a dotted path (`config.model.hidden`), or undefined. */
export function valueAtPath(document: unknown, dottedPath: string): unknown {
  let current: unknown = document;
  for (const key of dottedPath.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A metric's last logged value (null when the run has no such metric or it is not a number). */
export async function lastMetricValue(store: RunStore, id: RunId, name: string): Promise<number | null> {
  let last: unknown = null;
  for await (const chunk of store.metricChunks(id, name)) {
    if (chunk.values.length > 0) last = chunk.values[chunk.values.length - 1];
  }
  return typeof last === 'number' ? last : null;
}
