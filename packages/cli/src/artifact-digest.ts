import { createHash } from 'node:crypto';
import type { RunStore, StoredRun } from '@ritual/observers';

/**
 * md5 of every artifact of a run, streamed from the store one at a time, so
 * model weights of any size cost one buffer of memory. A name added twice is
 * read once (the store serves the last copy, as Sacred's file store keeps).
 */
export async function artifactDigests(store: RunStore, run: StoredRun): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  for (const name of new Set(run.artifacts)) {
    digests.set(name, await streamMd5(await store.openArtifact(run._id, name)));
  }
  return digests;
}

export async function streamMd5(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('hex');
}
