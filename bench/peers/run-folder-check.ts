/**
 * A benchmark only counts if the subject really recorded a run: both sides
 * must leave a COMPLETED run.json behind, or the timing measured a failure.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function assertCompletedRun(runsDir: string, who: string): Promise<void> {
  const ids = (await readdir(runsDir)).filter((entry) => /^\d+$/.test(entry));
  if (ids.length === 0) throw new Error(`${who} wrote no run folder in ${runsDir}`);
  const runJson = JSON.parse(await readFile(join(runsDir, ids[0]!, 'run.json'), 'utf8')) as { status?: string };
  if (runJson.status !== 'COMPLETED')
    throw new Error(`${who}'s run in ${runsDir} ended ${runJson.status ?? 'without a status'}, not COMPLETED`);
}
