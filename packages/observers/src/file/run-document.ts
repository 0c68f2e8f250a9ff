/**
 * Read one run folder (written by ritual or by Sacred itself) into the
 * StoredRun shape every store returns (see ../sacred-run-document.ts). A file
 * that cannot be read or parsed becomes a BackendError that names it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError } from '@ritual/core';
import type { JsonObject, RunId, RunStatus } from '@ritual/core';
import type { StoredRun } from '../store.js';
import { toStoredRun } from '../sacred-run-document.js';
import { RUN_FILES } from './run-folder.js';
import { parseSacredJson } from './sacred-json.js';
import { errorMessage } from '@ritual/core/observer-kit';

const STATUSES = new Set<RunStatus>(['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'INTERRUPTED', 'TIMEOUT']);

/** Folder names are numbers in Sacred; `--id` may have named a folder otherwise. */
export function runIdFromFolder(name: string): RunId {
  return /^\d+$/.test(name) ? Number(name) : name;
}

async function readJsonObject(path: string, required: boolean): Promise<JsonObject | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BackendError(
      `Cannot read ${path}: ${errorMessage(error)}. The run folder is incomplete; remove it or restore the file.`,
      { cause: error },
    );
  }
  let value: unknown;
  try {
    value = parseSacredJson(text);
  } catch (error) {
    throw new BackendError(
      `${path} is not valid JSON (${errorMessage(error)}); it was cut short or edited by hand. Fix or remove that run folder.`,
      {
        cause: error,
      },
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BackendError(
      `${path} should hold a JSON object; it was edited by hand or written by something else. Fix or remove that run folder.`,
    );
  }
  return value as JsonObject;
}

/** Load `<baseDir>/<folder>` as a StoredRun; with `withOutput`, cout.txt becomes `captured_out`. */
export async function loadRunFolder(runDir: string, folder: string, withOutput: boolean): Promise<StoredRun> {
  const runPath = join(runDir, RUN_FILES.run);
  const [entry, config, info] = await Promise.all([
    readJsonObject(runPath, true) as Promise<JsonObject>,
    readJsonObject(join(runDir, RUN_FILES.config), true) as Promise<JsonObject>,
    readJsonObject(join(runDir, RUN_FILES.info), false),
  ]);
  const status = entry.status as RunStatus;
  if (!STATUSES.has(status)) {
    throw new BackendError(
      `${runPath}: status ${JSON.stringify(entry.status)} is not one of ${[...STATUSES].join(', ')}; fix or remove that run folder.`,
    );
  }
  const run = toStoredRun(runIdFromFolder(folder), { ...entry, config, info: info ?? {} }, runPath);
  if (withOutput) {
    try {
      run.captured_out = await readFile(join(runDir, RUN_FILES.cout), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new BackendError(`Cannot read ${join(runDir, RUN_FILES.cout)}: ${errorMessage(error)}.`);
      run.captured_out = '';
    }
  }
  return run;
}
