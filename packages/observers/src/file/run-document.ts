/**
 * Read one run folder (written by ritual or by Sacred itself) into the
 * StoredRun shape every store returns (see ../sacred-run-document.ts). A file
 * that cannot be read or parsed becomes a BackendError that names it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError } from '@ritual/core';
import type { JsonObject, RunId, RunStatus } from '@ritual/core';
import type { RunSummary, StoredRun } from '../store.js';
import { toStoredRun } from '../sacred-run-document.js';
import { toRunSummary } from '../run-summary.js';
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

/**
 * The files of a folder read at once, but a failure reported in the order given, not whichever read
 * failed first: a folder missing both run.json and config.json always names run.json.
 */
async function allInOrder<T>(reads: Array<Promise<T>>): Promise<T[]> {
  const settled = await Promise.allSettled(reads);
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
}

function checkStatus(entry: JsonObject, runPath: string): void {
  if (!STATUSES.has(entry.status as RunStatus)) {
    throw new BackendError(
      `${runPath}: status ${JSON.stringify(entry.status)} is not one of ${[...STATUSES].join(', ')}; fix or remove that run folder.`,
    );
  }
}

/**
 * What a run index keeps of a run folder (see ../run-summary.ts): run.json
 * and config.json read and checked as `loadRunFolder` does, so a folder that
 * cannot be listed fails here with the same message.
 */
export async function readRunSummary(runDir: string, folder: string): Promise<RunSummary> {
  const runPath = join(runDir, RUN_FILES.run);
  const [entry, config] = (await allInOrder([
    readJsonObject(runPath, true),
    readJsonObject(join(runDir, RUN_FILES.config), true),
  ])) as [JsonObject, JsonObject];
  checkStatus(entry, runPath);
  return toRunSummary(runIdFromFolder(folder), { ...entry, config }, runPath);
}

/** Load `<baseDir>/<folder>` as a StoredRun; with `withOutput`, cout.txt becomes `captured_out`. */
export async function loadRunFolder(runDir: string, folder: string, withOutput: boolean): Promise<StoredRun> {
  const runPath = join(runDir, RUN_FILES.run);
  const [entry, config, info] = (await allInOrder([
    readJsonObject(runPath, true),
    readJsonObject(join(runDir, RUN_FILES.config), true),
    readJsonObject(join(runDir, RUN_FILES.info), false),
  ])) as [JsonObject, JsonObject, JsonObject | undefined];
  checkStatus(entry, runPath);
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
