/**
 * A comparable picture of one run in MongoDB: the runs document, its metrics
 * documents and the content of its GridFS files, with what legitimately differs
 * between two runs of the same script (the numeric id, ObjectIds, the journal
 * key) replaced by placeholders. Two runs with equal snapshots stored the same
 * data: every metric point, the captured output, artifacts, final status.
 */
import type { Db } from 'mongodb';

function normalise(value: unknown, runId: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => normalise(item, runId));
  if (value !== null && typeof value === 'object') {
    if ((value as { _bsontype?: string })._bsontype === 'ObjectId') return '<ObjectId>';
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = normalise(inner, runId);
    return out;
  }
  // info.metrics ids are ObjectIds as hex strings
  if (typeof value === 'string' && /^[0-9a-f]{24}$/.test(value)) return '<ObjectId>';
  if (typeof value === 'string') return value.replace(`/runs/${String(runId)}/`, '/runs/<id>/');
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return value;
}

export async function runSnapshot(db: Db, runId: unknown): Promise<Record<string, unknown>> {
  const run = await db.collection('runs').findOne({ _id: runId as never });
  if (!run) throw new Error(`no run ${String(runId)} in ${db.databaseName}`);
  const { _id, meta, ...rest } = run;
  const { run_key: _key, ...metaRest } = meta as Record<string, unknown>;
  const metrics = await db
    .collection('metrics')
    .find({ run_id: runId as never })
    .sort({ name: 1, part: 1 })
    .toArray();
  const fileIds = [
    ...((run.artifacts as Array<{ file_id: unknown }>) ?? []).map((a) => a.file_id),
    ...((run.experiment as { sources: Array<[string, unknown]> }).sources ?? []).map(([, id]) => id),
    ...((run.captured_out_overflow as unknown[]) ?? []),
  ];
  const files = [];
  for (const id of fileIds) {
    const file = await db.collection('fs.files').findOne({ _id: id as never });
    const chunks = await db
      .collection('fs.chunks')
      .find({ files_id: id as never })
      .sort({ n: 1 })
      .toArray();
    const content = Buffer.concat(
      chunks.map((chunk) => Buffer.from((chunk.data as { buffer: Uint8Array }).buffer)),
    ).toString('utf8');
    const { _id: _fid, uploadDate: _date, ...fileRest } = (file ?? {}) as Record<string, unknown>;
    files.push({ ...fileRest, content, chunks: chunks.length });
  }
  return normalise(
    {
      run: { ...rest, meta: metaRest },
      metrics: metrics.map(({ _id: _mid, run_id: _rid, ...metric }) => metric),
      files,
    },
    runId,
  ) as Record<string, unknown>;
}
