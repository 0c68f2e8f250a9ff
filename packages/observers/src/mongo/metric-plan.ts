import type { AnyBulkWriteOperation } from 'mongodb';
import type { MetricSeries, RunId } from '@ritual/core';
import type { MongoHandles } from './connection.js';

/**
 * Turns batches of metric points into idempotent `metrics` updates, Sacred's
 * layout: one document per (run_id, name) with parallel `steps`, `values`
 * (doubles) and `timestamps` (BSON Dates) arrays, grown with `$push`/`$each`.
 *
 * Idempotency without extra fields: every document has an id fixed in advance,
 * its first batch is an upsert with `$setOnInsert` (a no-op when it exists) and
 * each later batch only applies while `steps` still has the length it had before
 * that batch (`$size`), so a batch retried after a lost acknowledgement is
 * never applied twice. A guarded batch that matches nothing is not taken as
 * applied: the writer checks what is stored (metric-repair.ts).
 *
 * 16 MB: a document holds at most `maxPoints` points; the series then continues
 * in follow-on documents `{run_id, name, part: 1, ...}`, `part: 2`... Readers take
 * every document with the run's `run_id` and `name`, ordered by `part` (absent = 0).
 */
export interface MetricCursor {
  part: number;
  /** Points already in the current part. */
  count: number;
}

export interface PlannedMetrics {
  slices: Slice[];
  /** `info.metrics` entries for metrics seen for the first time. */
  newEntries: Array<{ name: string; id: string }>;
}

export interface Slice {
  name: string;
  part: number;
  idHex: string;
  /** Points already in the document before this slice (0: the slice creates it). */
  offset: number;
  steps: number[];
  values: number[];
  timestamps: number[];
}

export class MetricPlanner {
  private readonly cursors = new Map<string, MetricCursor>();
  /** Every `info.metrics` entry so far, in first-seen order. */
  readonly entries: Array<{ name: string; id: string }> = [];

  constructor(
    private readonly maxPoints: number,
    /** Fixed ObjectId (hex) for part `part` of metric `name`. */
    private readonly idFor: (name: string, part: number) => string,
  ) {}

  /** Points planned so far per metric, over all of its documents (what the database must end up holding). */
  totals(): Map<string, number> {
    return new Map([...this.cursors].map(([name, cursor]) => [name, cursor.part * this.maxPoints + cursor.count]));
  }

  /** The ids (hex) of every document planned so far, every part of every metric. */
  documentIds(): string[] {
    const ids: string[] = [];
    for (const [name, cursor] of this.cursors) {
      for (let part = 0; part <= cursor.part; part += 1) ids.push(this.idFor(name, part));
    }
    return ids;
  }

  plan(batch: MetricSeries[]): PlannedMetrics {
    const slices: Slice[] = [];
    const newEntries: Array<{ name: string; id: string }> = [];
    for (const series of batch) {
      let cursor = this.cursors.get(series.name);
      if (!cursor) {
        cursor = { part: 0, count: 0 };
        this.cursors.set(series.name, cursor);
        const entry = { name: series.name, id: this.idFor(series.name, 0) };
        this.entries.push(entry);
        newEntries.push(entry);
      }
      let start = 0;
      while (start < series.steps.length) {
        if (cursor.count >= this.maxPoints) {
          cursor.part += 1;
          cursor.count = 0;
        }
        const end = Math.min(series.steps.length, start + this.maxPoints - cursor.count);
        slices.push({
          name: series.name,
          part: cursor.part,
          idHex: this.idFor(series.name, cursor.part),
          offset: cursor.count,
          steps: series.steps.slice(start, end),
          values: series.values.slice(start, end),
          timestamps: series.timestamps.slice(start, end),
        });
        cursor.count += end - start;
        start = end;
      }
    }
    return { newEntries, slices };
  }
}

/** The updates for some slices; built when the run id is known (they run after the run document exists). */
export function metricOperations(
  handles: MongoHandles,
  runId: RunId,
  slices: Slice[],
): AnyBulkWriteOperation<Record<string, unknown>>[] {
  return slices.map((slice) => toOperation(handles, runId, slice));
}

/**
 * Joins slices that continue each other in the same document (the uploader
 * does this for a backlog of flushes that were never attempted, so one update
 * per document replaces many; each update costs the server the document's size).
 */
export function mergeSlices(slices: Slice[]): Slice[] {
  const open = new Map<string, Slice>();
  const merged: Slice[] = [];
  for (const slice of slices) {
    const previous = open.get(slice.idHex);
    if (previous && previous.offset + previous.steps.length === slice.offset) {
      // A loop, not push(...): spreading a long series overflows the call stack.
      for (let i = 0; i < slice.steps.length; i += 1) {
        previous.steps.push(slice.steps[i]!);
        previous.values.push(slice.values[i]!);
        previous.timestamps.push(slice.timestamps[i]!);
      }
      continue;
    }
    const copy = { ...slice, steps: [...slice.steps], values: [...slice.values], timestamps: [...slice.timestamps] };
    open.set(slice.idHex, copy);
    merged.push(copy);
  }
  return merged;
}

/** A metrics document holding exactly the slice's points (the first slice of a document, or a repair). */
export function documentFields(handles: MongoHandles, runId: RunId, slice: Slice): Record<string, unknown> {
  return {
    run_id: runId,
    name: slice.name,
    ...(slice.part > 0 ? { part: slice.part } : {}),
    steps: slice.steps,
    ...pointFields(handles, slice),
  };
}

function pointFields(handles: MongoHandles, slice: Slice): { values: unknown[]; timestamps: Date[] } {
  const { Double } = handles.driver;
  // Values are always doubles, as Python floats are: a JS number with a fraction already is one,
  // an integer-valued one (1, 0) would become an int32, so only those are wrapped.
  const values = slice.values.map((value) => (Number.isInteger(value) ? new Double(value) : value));
  return { values, timestamps: slice.timestamps.map((ms) => new Date(ms)) };
}

function toOperation(
  handles: MongoHandles,
  runId: RunId,
  slice: Slice,
): AnyBulkWriteOperation<Record<string, unknown>> {
  const _id = handles.objectId(slice.idHex);
  if (slice.offset === 0) {
    return {
      updateOne: { filter: { _id }, update: { $setOnInsert: documentFields(handles, runId, slice) }, upsert: true },
    };
  }
  const { values, timestamps } = pointFields(handles, slice);
  return {
    updateOne: {
      filter: { _id, steps: { $size: slice.offset } },
      update: {
        $push: { steps: { $each: slice.steps }, values: { $each: values }, timestamps: { $each: timestamps } },
      } as never,
    },
  };
}
