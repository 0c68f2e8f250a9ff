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
 * never applied twice.
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
  /** Built when the run id is known (the operations run after the run document exists). */
  operations(handles: MongoHandles, runId: RunId): AnyBulkWriteOperation<Record<string, unknown>>[];
  /** `info.metrics` entries for metrics seen for the first time. */
  newEntries: Array<{ name: string; id: string }>;
}

interface Slice {
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
    return { newEntries, operations: (handles, runId) => slices.map((slice) => toOperation(handles, runId, slice)) };
  }
}

function toOperation(handles: MongoHandles, runId: RunId, slice: Slice): AnyBulkWriteOperation<Record<string, unknown>> {
  const { Double } = handles.driver;
  // Values are always doubles, as Python floats are: a JS number with a fraction already is one,
  // an integer-valued one (1, 0) would become an int32, so only those are wrapped.
  const values = slice.values.map((value) => (Number.isInteger(value) ? new Double(value) : value));
  const timestamps = slice.timestamps.map((ms) => new Date(ms));
  const _id = handles.objectId(slice.idHex);
  if (slice.offset === 0) {
    return {
      updateOne: {
        filter: { _id },
        update: {
          $setOnInsert: {
            run_id: runId,
            name: slice.name,
            ...(slice.part > 0 ? { part: slice.part } : {}),
            steps: slice.steps,
            values,
            timestamps,
          },
        },
        upsert: true,
      },
    };
  }
  return {
    updateOne: {
      filter: { _id, steps: { $size: slice.offset } },
      update: { $push: { steps: { $each: slice.steps }, values: { $each: values }, timestamps: { $each: timestamps } } } as never,
    },
  };
}
