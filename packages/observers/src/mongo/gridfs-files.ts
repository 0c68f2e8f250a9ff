import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectId } from 'mongodb';
import type { MongoHandles } from './connection.js';

export interface StoredFileOptions {
  filename: string;
  /** md5 hex of the content: written to fs.files so an unchanged source is found and reused by the next run. */
  md5?: string;
  contentType?: string;
  metadata?: Record<string, unknown>;
}

/**
 * Uploads content to GridFS under a fixed id, idempotently: if a file with
 * that id exists the upload already happened; leftover chunks of an upload cut
 * short by a lost connection are removed before trying again.
 */
export async function putFileWithId(
  handles: MongoHandles,
  id: ObjectId,
  content: string | Buffer | (() => Readable),
  options: StoredFileOptions,
): Promise<void> {
  const existing = await handles.files.findOne({ _id: id }, { projection: { _id: 1, md5: 1 } });
  if (!existing) {
    await handles.chunks.deleteMany({ files_id: id });
    const upload = handles.bucket.openUploadStreamWithId(id, options.filename, {
      ...(options.metadata ? { metadata: options.metadata } : {}),
      ...(options.contentType ? { contentType: options.contentType } : {}),
    });
    const source =
      typeof content === 'function'
        ? content()
        : Readable.from([typeof content === 'string' ? Buffer.from(content, 'utf8') : content]);
    await pipeline(source, upload);
    // GridFS says `length` is an int64 (pymongo writes one); the Node driver writes a plain number (int32 when small).
    // The document is replaced whole: some servers treat $set of an equal number of another type as a no-op.
    const written = await handles.files.findOne({ _id: id });
    if (written) {
      await handles.files.replaceOne(
        { _id: id },
        {
          ...written,
          length: handles.driver.Long.fromNumber(Number(written.length)),
          ...(options.md5 ? { md5: options.md5 } : {}),
        },
      );
    }
  } else if (options.md5 && existing.md5 !== options.md5) {
    await handles.files.updateOne({ _id: id }, { $set: { md5: options.md5 } });
  }
}

/**
 * Stores a file once per content: an fs.files entry with the same filename and
 * md5 (from an earlier run, ours or Sacred's) is reused instead of uploading again.
 */
export async function putDeduplicatedFile(
  handles: MongoHandles,
  newId: ObjectId,
  path: string,
  filename: string,
  md5: string,
): Promise<ObjectId> {
  const existing = await handles.files.findOne({ filename, md5 }, { projection: { _id: 1 }, sort: { uploadDate: 1 } });
  if (existing) return existing._id as ObjectId;
  await putFileWithId(handles, newId, () => createReadStream(path), { filename, md5 });
  return newId;
}

/** Reads a whole GridFS file (small files only: output segments, info overflow). */
export async function readFileText(handles: MongoHandles, id: ObjectId): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of handles.bucket.openDownloadStream(id)) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}
