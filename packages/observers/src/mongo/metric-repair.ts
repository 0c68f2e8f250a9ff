import { BackendError, type MetricSeries, type RunId } from '@ritual/core';
import type { MongoHandles } from './connection.js';
import { documentFields, type Slice } from './metric-plan.js';

/** Every point of one metric, in logging order, as the journal holds them. */
export type JournalSeries = (name: string) => MetricSeries;

/**
 * A guarded `$push` that matched nothing is not proof that it was applied: the
 * server may have lost the document's tail (a crash lost acknowledged writes)
 * or the whole document. This reads how many points each touched document
 * holds and, for each one holding fewer than the slice ends at, writes the
 * document again whole from the journal: every point of its part up to the end
 * of the slice. Replacing is idempotent, and later guarded pushes then match.
 * Returns how many documents were rewritten.
 */
export async function repairSlices(
  handles: MongoHandles,
  runId: RunId,
  slices: Slice[],
  maxPoints: number,
  journalSeries: JournalSeries,
): Promise<number> {
  // The furthest end per document: earlier slices of the same document are then covered too.
  const ends = new Map<string, Slice & { end: number }>();
  for (const slice of slices) {
    const end = slice.offset + slice.steps.length;
    if ((ends.get(slice.idHex)?.end ?? -1) < end) ends.set(slice.idHex, { ...slice, end });
  }
  const ids = [...ends.keys()].map((hex) => handles.objectId(hex));
  const sizes = await handles.metrics
    .aggregate([{ $match: { _id: { $in: ids } } }, { $project: { n: { $size: '$steps' } } }])
    .toArray();
  const stored = new Map(sizes.map((doc) => [String(doc._id), Number(doc.n)]));
  const series = new Map<string, MetricSeries>();
  let rewritten = 0;
  for (const [hex, slice] of ends) {
    if ((stored.get(hex) ?? -1) >= slice.end) continue;
    if (!series.has(slice.name)) series.set(slice.name, journalSeries(slice.name));
    const all = series.get(slice.name)!;
    const from = slice.part * maxPoints;
    const to = from + slice.end;
    if (all.steps.length < to) {
      throw new BackendError(
        `The journal holds ${all.steps.length} points of ${slice.name}, fewer than the ${to} planned; it is damaged.`,
      );
    }
    const whole: Slice = {
      ...slice,
      offset: 0,
      steps: all.steps.slice(from, to),
      values: all.values.slice(from, to),
      timestamps: all.timestamps.slice(from, to),
    };
    const _id = handles.objectId(hex);
    await handles.metrics.replaceOne({ _id }, documentFields(handles, runId, whole), { upsert: true });
    rewritten += 1;
  }
  return rewritten;
}
