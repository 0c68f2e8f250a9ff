/**
 * The layout of one run folder (Sacred's, plus a hidden `.ritual/` folder)
 * and how a new one is claimed among concurrent processes.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError, UsageError } from '@ritual/core';
import { normaliseArtifactName } from '@ritual/core/observer-kit';
import type { RunId } from '@ritual/core';
import { errorMessage } from '@ritual/core/observer-kit';

/** Files Sacred's FileStorageObserver owns in a run folder. */
export const RUN_FILES = {
  run: 'run.json',
  config: 'config.json',
  cout: 'cout.txt',
  metrics: 'metrics.json',
  info: 'info.json',
} as const;

/**
 * ritual's own bookkeeping: the append-only metrics log and temp files of
 * atomic writes. A folder, because Python readers (incense) list every plain
 * file of a run folder as an artifact but skip folders.
 */
export const PRIVATE_DIR = '.ritual';
export const METRICS_LOG = join(PRIVATE_DIR, 'metrics.jsonl');

/**
 * Check an artifact name and return it normalised (`/` separators). Refuses
 * names that would overwrite a file the observer owns or leave the run folder.
 */
export function checkArtifactName(name: string): string {
  const normalised = normaliseArtifactName(name);
  if (normalised === PRIVATE_DIR || normalised.startsWith(`${PRIVATE_DIR}/`)) {
    throw new UsageError(
      `Artifact name ${JSON.stringify(name)} is inside ${PRIVATE_DIR}/, which ritual keeps for its own files; pick another name.`,
    );
  }
  return normalised;
}

/** Highest numeric run folder in `baseDir`, 0 when none. */
async function highestRunId(baseDir: string): Promise<number> {
  let highest = 0;
  for (const entry of await readdir(baseDir, { withFileTypes: true })) {
    if (entry.isDirectory() && /^\d+$/.test(entry.name)) highest = Math.max(highest, Number(entry.name));
  }
  return highest;
}

/**
 * Claim a fresh numeric run folder: highest + 1 by an atomic mkdir; on a
 * collision (another process won that id) look again and try the next one.
 * There is deliberately no retry limit: every collision means another run
 * got a folder, so the loop always progresses (Sacred gives up after 1000).
 */
export async function claimNewRunFolder(baseDir: string): Promise<{ id: number; dir: string }> {
  await mkdir(baseDir, { recursive: true });
  let id = (await highestRunId(baseDir)) + 1;
  for (;;) {
    const dir = join(baseDir, String(id));
    try {
      await mkdir(dir);
      return { id, dir };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new BackendError(
          `Cannot create run folder ${dir}: ${errorMessage(error)}. Check that ${baseDir} is writable.`,
          { cause: error },
        );
      }
    }
    id = Math.max(id + 1, (await highestRunId(baseDir)) + 1);
  }
}

/**
 * Use a requested id (named by a higher-priority observer, or `--id`) as the
 * folder name. An existing folder is only taken over when it holds a QUEUED
 * run, i.e. a queued run is being started now.
 */
export async function claimRequestedRunFolder(
  baseDir: string,
  id: RunId,
): Promise<{ dir: string; wasQueued: boolean }> {
  const name = String(id);
  if (name === '' || name.startsWith('_') || name.startsWith('.') || /[\\/]/.test(name) || name === '..') {
    throw new UsageError(
      `Run id ${JSON.stringify(id)} cannot name a run folder; use a number or a plain name without slashes, dots or a leading underscore.`,
    );
  }
  await mkdir(baseDir, { recursive: true });
  const dir = join(baseDir, name);
  try {
    await mkdir(dir);
    return { dir, wasQueued: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new BackendError(
        `Cannot create run folder ${dir}: ${errorMessage(error)}. Check that ${baseDir} is writable.`,
        { cause: error },
      );
    }
  }
  let status: unknown;
  try {
    status = (JSON.parse(await readFile(join(dir, RUN_FILES.run), 'utf8')) as { status?: unknown }).status;
  } catch {
    status = undefined;
  }
  if (status !== 'QUEUED') {
    throw new UsageError(
      `A run folder ${JSON.stringify(name)} already exists in ${baseDir}, and this run was asked to use that id (by --id, or named by a higher-priority observer such as MongoDB). Choose another --id, or give the file observer a runs folder of its own.`,
    );
  }
  return { dir, wasQueued: true };
}
