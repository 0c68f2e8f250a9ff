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

/** One way the stored run differs from its journal. */
export interface StoredRunDifference {
  /** Set when only the points of this metric are short: its documents can be repaired alone. */
  metric?: string;
  message: string;
}

/** What differs from the expectation; empty when the stored run is complete. */
export async function storedRunDifferences(
  handles: MongoHandles,
  expected: ExpectedRun,
): Promise<StoredRunDifference[]> {
  const projection = { captured_out: 0, config: 0, experiment: 0, host: 0 };
  const run = await handles.runs.findOne({ _id: expected.runId } as never, { projection });
  if (!run) return [{ message: `run document ${String(expected.runId)} is missing` }];
  const differences: StoredRunDifference[] = [];
  const add = (message: string): number => differences.push({ message });
  if ((run.meta as { run_key?: string } | undefined)?.run_key !== expected.key) {
    add(`run document ${String(expected.runId)} belongs to another run`);
  }
  if (expected.status !== null && run.status !== expected.status) {
    add(`status is ${String(run.status)}, not ${expected.status}`);
  }
  if (expected.heartbeat && (run.heartbeat as Date | null)?.getTime() !== expected.heartbeat.getTime()) {
    add('the last heartbeat is missing');
  }
  const entries = (run.info as { metrics?: Array<{ name: string }> } | undefined)?.metrics ?? [];
  const listed = new Set(entries.map((entry) => entry.name));
  for (const name of expected.points.keys()) {
    if (!listed.has(name)) add(`info.metrics does not list ${name}`);
  }
  const stored = (run.artifacts as Array<{ file_id: unknown }> | undefined) ?? [];
  const artifacts = new Set(stored.map((entry) => String(entry.file_id)));
  const missingArtifacts = expected.artifacts.filter((id) => !artifacts.has(id)).length;
  if (missingArtifacts > 0) add(`${missingArtifacts} artifact(s) missing`);
  if (expected.points.size > 0) {
    // The server counts (`$size`), so checking a long series costs no transfer of its points.
    const match = { run_id: expected.runId, name: { $in: [...expected.points.keys()] } };
    const sizes = await handles.metrics
      .aggregate([{ $match: match }, { $project: { name: 1, n: { $size: '$steps' } } }])
      .toArray();
    const points = new Map<string, number>();
    for (const doc of sizes) points.set(String(doc.name), (points.get(String(doc.name)) ?? 0) + Number(doc.n));
    for (const [name, count] of expected.points) {
      const held = points.get(name) ?? 0;
      if (held !== count)
        differences.push({ metric: name, message: `metric ${name} holds ${held} of ${count} points` });
    }
  }
  return differences;
}
