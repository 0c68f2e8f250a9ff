import type { RunId } from '@ritual/core';
import type { MongoHandles } from './connection.js';

/**
 * What the journal says the database must hold for a run once every event is
 * uploaded. A server can lose writes it acknowledged (a crash before its journal
 * commit, an unjournaled write concern), so the observer checks these before it
 * deletes its journal, and `ritual sync` before it deletes one it replayed.
 */
export interface ExpectedRun {
  runId: RunId;
  key: string;
  /** The final status, when the journal holds the end of the run. */
  status: string | null;
  /** The time of the last heartbeat, when there was one. */
  heartbeat: Date | null;
  /** Points logged per metric name, over all of its documents. */
  points: Map<string, number>;
  /** Artifacts added (their `file_id`s, hex). */
  artifacts: string[];
}

/** What differs from the expectation, one line each; empty when the stored run is complete. */
export async function storedRunDifferences(handles: MongoHandles, expected: ExpectedRun): Promise<string[]> {
  const run = await handles.runs.findOne({ _id: expected.runId } as never, { projection: { captured_out: 0, config: 0, experiment: 0, host: 0 } });
  if (!run) return [`run document ${String(expected.runId)} is missing`];
  const differences: string[] = [];
  if ((run.meta as { run_key?: string } | undefined)?.run_key !== expected.key) differences.push(`run document ${String(expected.runId)} belongs to another run`);
  if (expected.status !== null && run.status !== expected.status) differences.push(`status is ${String(run.status)}, not ${expected.status}`);
  if (expected.heartbeat && (run.heartbeat as Date | null)?.getTime() !== expected.heartbeat.getTime()) differences.push('the last heartbeat is missing');
  const listed = new Set(((run.info as { metrics?: Array<{ name: string }> } | undefined)?.metrics ?? []).map((entry) => entry.name));
  for (const name of expected.points.keys()) if (!listed.has(name)) differences.push(`info.metrics does not list ${name}`);
  const artifacts = new Set(((run.artifacts as Array<{ file_id: unknown }> | undefined) ?? []).map((entry) => String(entry.file_id)));
  const missingArtifacts = expected.artifacts.filter((id) => !artifacts.has(id)).length;
  if (missingArtifacts > 0) differences.push(`${missingArtifacts} artifact(s) missing`);
  if (expected.points.size > 0) {
    // The server counts (`$size`), so checking a long series costs no transfer of its points.
    const sizes = await handles.metrics
      .aggregate([{ $match: { run_id: expected.runId, name: { $in: [...expected.points.keys()] } } }, { $project: { name: 1, n: { $size: '$steps' } } }])
      .toArray();
    const stored = new Map<string, number>();
    for (const doc of sizes) stored.set(String(doc.name), (stored.get(String(doc.name)) ?? 0) + Number(doc.n));
    for (const [name, count] of expected.points) {
      if ((stored.get(name) ?? 0) !== count) differences.push(`metric ${name} holds ${stored.get(name) ?? 0} of ${count} points`);
    }
  }
  return differences;
}
