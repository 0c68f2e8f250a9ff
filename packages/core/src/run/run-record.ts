/**
 * The shapes every backend stores, named as in Sacred's run.json and its
 * MongoDB `runs` documents. Observers map these to storage; none builds its
 * own dictionary from scratch.
 */

/** A run's status, as Sacred spells it. */
export type RunStatus = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'INTERRUPTED' | 'TIMEOUT';

/** Run ids are numeric in both Sacred backends; a user may ask for a string with `--id`. */
export type RunId = number | string;

/** A JSON value as stored in config.json / the config document. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** One source file of the experiment. */
export interface SourceFile {
  /** Path relative to the experiment's base_dir, with `/` separators (what Sacred stores). */
  relativePath: string;
  /** Absolute path on this machine, so an observer can copy the content. */
  absolutePath: string;
  /** md5 hex digest of the content at capture time. */
  md5: string;
}

/** One git repository that holds sources (Sacred: `experiment.repositories[]`). */
export interface RepositoryInfo {
  /** Remote url with credentials stripped, or a stable placeholder when there is no remote. */
  url: string;
  commit: string;
  dirty: boolean;
}

/**
 * `experiment` as the observers receive it. Observers turn `sources` into
 * Sacred's `[[relpath, stored copy]]` pairs (a file path or a GridFS id).
 */
export interface ExperimentInfo {
  name: string;
  base_dir: string;
  /** The main file, relative to base_dir. */
  mainfile: string | null;
  sources: SourceFile[];
  /** Sorted `name==version` strings of the npm packages the sources import. */
  dependencies: string[];
  repositories: RepositoryInfo[];
}

/** Host facts; Sacred's key names where Sacred has one. */
export interface HostInfo {
  hostname: string;
  /** [platform, release string], e.g. ['Linux', 'Linux-6.1.0-x86_64-with-glibc2.36'] in Sacred. */
  os: [string, string];
  node_version: string;
  cpu: string;
  cpu_count?: number;
  memory_total?: number;
  gpus?: {
    gpus: Array<{ model: string; total_memory: number | null; persistence_mode?: boolean }>;
    driver_version: string | null;
  };
  /** Only the variables on the user's allow-list. */
  ENV: Record<string, string>;
  [extra: string]: unknown;
}

/** `meta` of a run: how it was started. */
export interface RunMeta {
  command: string;
  /** Sacred keeps the parsed command-line options under their long names, e.g. `--file_storage`. */
  options: Record<string, unknown>;
  config_updates: JsonObject;
  named_configs: string[];
  comment?: string;
  priority?: number;
  queue_time?: Date;
  /** Set by `ritual reproduce` on the run it starts: the stored run it re-runs. */
  reproduces?: RunReproduces;
  /** Set on each run of a `--multirun` sweep: which sweep, its position and size, and the sweep's seed. */
  sweep?: RunSweep;
}

/** `meta.sweep`: the run is number `index` (0-based) of the `size` runs of sweep `id`. */
export interface RunSweep {
  id: string;
  index: number;
  size: number;
  /** The sweep seed (`--sweep-seed`) its draws and every run's seed came from. */
  seed: number;
}

/** Which stored run a reproduction re-runs, and the attempt (a random id) that finds the new run again. */
export interface RunReproduces {
  run: RunId;
  /** The store the original was read from (a folder, or a MongoDB URL without its password). */
  store: string;
  attempt: string;
}

/** A batch of new points for one metric, as handed to observers on a flush. */
export interface MetricSeries {
  name: string;
  steps: number[];
  values: number[];
  /** Epoch milliseconds (UTC); observers format them for their storage. */
  timestamps: number[];
}
