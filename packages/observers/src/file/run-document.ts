/**
 * Read one run folder (written by ritual or by Sacred itself) into the
 * StoredRun shape every store returns: times as Dates, defaults for fields
 * an older or queued run lacks. A file that cannot be read or parsed becomes
 * a BackendError that names it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError } from '@ritual/core';
import { fromSacredTime } from '@ritual/core/observer-kit';
import type { JsonObject, RunId, RunStatus } from '@ritual/core';
import type { StoredRun } from '../store.js';
import { RUN_FILES } from './run-folder.js';
import { parseSacredJson } from './sacred-json.js';

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
    throw new BackendError(`Cannot read ${path}: ${(error as Error).message}. The run folder is incomplete; remove it or restore the file.`, { cause: error });
  }
  let value: unknown;
  try {
    value = parseSacredJson(text);
  } catch (error) {
    throw new BackendError(`${path} is not valid JSON (${(error as Error).message}); it was cut short or edited by hand. Fix or remove that run folder.`, {
      cause: error,
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BackendError(`${path} should hold a JSON object; it was edited by hand or written by something else. Fix or remove that run folder.`);
  }
  return value as JsonObject;
}

function toDate(value: unknown, path: string, field: string): Date | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new BackendError(`${path}: ${field} should be a time string, found ${JSON.stringify(value)}.`);
  try {
    return fromSacredTime(value);
  } catch (error) {
    throw new BackendError(`${path}: ${field} is not a time (${JSON.stringify(value)}); fix or remove that run folder.`, { cause: error });
  }
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
    throw new BackendError(`${runPath}: status ${JSON.stringify(entry.status)} is not one of ${[...STATUSES].join(', ')}; fix or remove that run folder.`);
  }
  const experiment = (entry.experiment ?? {}) as JsonObject;
  const meta = { ...((entry.meta ?? {}) as JsonObject) } as unknown as StoredRun['meta'] & { queue_time?: unknown };
  if (meta.queue_time !== undefined) meta.queue_time = toDate(meta.queue_time, runPath, 'meta.queue_time') ?? undefined;
  const run: StoredRun = {
    _id: runIdFromFolder(folder),
    experiment: {
      name: String(experiment.name ?? ''),
      base_dir: String(experiment.base_dir ?? ''),
      mainfile: (experiment.mainfile as string | null | undefined) ?? null,
      sources: (experiment.sources ?? []) as Array<[string, string]>,
      dependencies: (experiment.dependencies ?? []) as string[],
      repositories: (experiment.repositories ?? []) as unknown as StoredRun['experiment']['repositories'],
    },
    command: String(entry.command ?? ''),
    host: (entry.host ?? {}) as unknown as StoredRun['host'],
    meta,
    config,
    status,
    start_time: toDate(entry.start_time, runPath, 'start_time'),
    heartbeat: toDate(entry.heartbeat, runPath, 'heartbeat'),
    stop_time: toDate(entry.stop_time, runPath, 'stop_time'),
    result: entry.result ?? null,
    info: info ?? {},
    artifacts: ((entry.artifacts ?? []) as unknown[]).map((item) =>
      typeof item === 'string' ? item : String((item as { name?: unknown } | null)?.name ?? item),
    ),
    fail_trace: (entry.fail_trace as string[] | undefined) ?? null,
    resources: (entry.resources ?? []) as Array<[string, string]>,
  };
  if (withOutput) {
    try {
      run.captured_out = await readFile(join(runDir, RUN_FILES.cout), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new BackendError(`Cannot read ${join(runDir, RUN_FILES.cout)}: ${(error as Error).message}.`);
      run.captured_out = '';
    }
  }
  return run;
}
