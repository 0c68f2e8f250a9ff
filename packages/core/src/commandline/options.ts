/**
 * The command-line flags: one table drives parsing, validation, Sacred's
 * `meta.options` record and the help text, so they cannot drift apart.
 */
import { CommandLineError } from '../errors.js';
import { errorMessage } from '../error-message.js';

export interface RunOptions {
  fileStorage?: string;
  mongoDb?: string;
  name?: string;
  comment?: string;
  printConfig: boolean;
  unobserved: boolean;
  queue: boolean;
  /** -f: accept undeclared config keys and values of another type than declared. */
  force: boolean;
  debug: boolean;
  loglevel?: string;
  enforceClean: boolean;
  /** Seconds between heartbeats, default 10. */
  beatInterval: number;
  /** Output capture mode, default 'sys'. */
  capture: 'no' | 'sys' | 'fd';
  id?: string;
  priority?: number;
  /**
   * Seconds between two samples of system metrics; `--system-interval` (0 turns them off).
   * Default: the Experiment's `systemInterval` option, else 10.
   */
  systemInterval?: number;
  /** Seconds; `--timeout`. */
  timeout?: number;
  /** `-M`: the `with` values are sweep axes (Hydra's grammar); one run per config, each a child process. */
  multirun: boolean;
  /** `--samples N`: a random sweep of N runs instead of the grid. */
  samples?: number;
  /** `--sweep-seed S`: seeds the random draws and the runs' seeds (default: a fresh one, recorded). */
  sweepSeed?: number;
  /** `--jobs N`: runs of a sweep at once (default 1). */
  jobs?: number;
  /** `--sweep-metric NAME`: rank a sweep's runs by this metric's last value instead of the result. */
  sweepMetric?: string;
  /** `--minimize`: the sweep's best run has the lowest value (default: the highest). */
  minimize: boolean;
  /** `worker --wait`: keep polling for queued runs when the queue is empty (default: stop). */
  wait: boolean;
  /** `worker --max-runs N`: stop after claiming N runs. */
  maxRuns?: number;
  /** `worker --concurrency N`: runs at once, each in its own child process (default 1). */
  concurrency?: number;
  /** `worker --dead-after SECONDS`: a claimed run without a heartbeat for this long is dead (default 120). */
  deadAfter?: number;
  /** `worker --retries N`: a dead run is queued again up to N times, then FAILED (default 0). */
  retries?: number;
  /** `worker --strict`: refuse a queued run whose sources differ from the worker's (it stays QUEUED). */
  strict: boolean;
  /** `worker --poll SECONDS`: pause between two looks at an empty queue with --wait (default 5). */
  poll?: number;
  help: boolean;
}

export interface OptionSpec {
  /** Sacred's long name, as recorded in meta.options (`--file_storage`). */
  long: string;
  short?: string;
  key: keyof RunOptions;
  /** Present for flags that take a value: its name in the help text. */
  valueName?: string;
  doc: string;
  /** A sweep flag: meaningful only with --multirun, and not passed on to the sweep's runs. */
  sweep?: boolean;
  /** A flag of the `worker` command only. */
  worker?: boolean;
  /** Turns the raw text into the RunOptions value; throws a message saying what is expected. */
  convert?: (raw: string) => unknown;
  /** How the raw text is recorded in meta.options (which observers store): secrets removed. */
  record?: (raw: string) => string;
}

/**
 * `mongodb://user:secret@host/db` -> `mongodb://user:***@host/db`: meta.options
 * is stored with every run (Sacred stores the password as typed).
 */
export function redactUrlPassword(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

function positiveSeconds(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new Error('a number of seconds greater than 0, e.g. 10 or 0.5');
  return value;
}

function secondsOrZero(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new Error('a number of seconds, e.g. 10 or 0.5 (0 turns it off)');
  }
  return value;
}

/** `120`, `120s`, `2m` or `1h` -> seconds. */
function duration(raw: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/.exec(raw);
  const value = match ? Number(match[1]) * ({ s: 1, m: 60, h: 3600 }[match[2] ?? 's'] ?? 1) : Number.NaN;
  if (!(value > 0)) throw new Error('a duration greater than 0 in seconds, e.g. 120, 90s, 2m or 1h');
  return value;
}

function countOrZero(raw: string): number {
  const value = Number(raw);
  if (!/^\s*\+?\d+\s*$/.test(raw) || !Number.isSafeInteger(value)) throw new Error('a whole number, e.g. 0 or 2');
  return value;
}

function nonEmpty(what: string): (raw: string) => string {
  return (raw) => {
    if (raw.trim() === '') throw new Error(what);
    return raw;
  };
}

function positiveInteger(example: string): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!/^\s*\+?\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < 1)
      throw new Error(`a whole number of at least 1, e.g. ${example}`);
    return value;
  };
}

const CAPTURE_MODES = ['no', 'sys', 'fd'] as const;
const LOG_LEVELS = ['debug', 'info', 'warning', 'warn', 'error', 'critical'];

export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    long: 'file_storage',
    short: 'F',
    key: 'fileStorage',
    valueName: 'DIR',
    doc: 'Add a file-storage observer that writes runs to DIR.',
    convert: nonEmpty('a folder path, e.g. runs'),
  },
  {
    long: 'mongo_db',
    short: 'm',
    key: 'mongoDb',
    valueName: 'URL',
    doc: 'Add a MongoDB observer: mongodb://host:port/db or host:port:db.',
    convert: nonEmpty('a MongoDB URL, e.g. mongodb://localhost:27017/sacred'),
    record: redactUrlPassword,
  },
  {
    long: 'name',
    short: 'n',
    key: 'name',
    valueName: 'NAME',
    doc: 'Set the name of this run (default: the experiment name).',
  },
  { long: 'comment', short: 'c', key: 'comment', valueName: 'COMMENT', doc: 'Add a comment to this run.' },
  { long: 'print-config', short: 'p', key: 'printConfig', doc: 'Print the configuration before running.' },
  { long: 'unobserved', short: 'u', key: 'unobserved', doc: 'Run without any observer (nothing is stored).' },
  { long: 'queue', short: 'q', key: 'queue', doc: 'Only queue this run; do not start it.' },
  { long: 'force', short: 'f', key: 'force', doc: 'Accept undeclared config keys and changed value types.' },
  { long: 'debug', short: 'd', key: 'debug', doc: 'Show full stack traces on errors.' },
  {
    long: 'loglevel',
    short: 'l',
    key: 'loglevel',
    valueName: 'LEVEL',
    doc: 'Log level: DEBUG, INFO, WARNING, ERROR, CRITICAL (or 10..50).',
    convert: (raw) => {
      if (LOG_LEVELS.includes(raw.toLowerCase()) || /^\d+$/.test(raw)) return raw;
      throw new Error('one of DEBUG, INFO, WARNING, ERROR, CRITICAL, or a number such as 20');
    },
  },
  {
    long: 'enforce_clean',
    short: 'e',
    key: 'enforceClean',
    doc: 'Refuse to run if a source repository has uncommitted changes.',
  },
  {
    long: 'beat-interval',
    short: 'b',
    key: 'beatInterval',
    valueName: 'SECONDS',
    doc: 'Seconds between two heartbeats (default 10).',
    convert: positiveSeconds,
  },
  {
    long: 'capture',
    short: 'C',
    key: 'capture',
    valueName: 'MODE',
    doc: 'How to capture the output: no, sys or fd (default sys).',
    convert: (raw) => {
      if ((CAPTURE_MODES as readonly string[]).includes(raw)) return raw;
      throw new Error(`one of ${CAPTURE_MODES.join(', ')}`);
    },
  },
  {
    long: 'id',
    short: 'i',
    key: 'id',
    valueName: 'ID',
    doc: 'Set the id of this run.',
    convert: nonEmpty('a run id, e.g. 42'),
  },
  {
    long: 'priority',
    short: 'P',
    key: 'priority',
    valueName: 'PRIORITY',
    doc: 'Priority of a queued run (an integer; higher runs first).',
    convert: (raw) => {
      if (/^[-+]?\d+$/.test(raw.trim()) && Number.isSafeInteger(Number(raw))) return Number(raw);
      throw new Error('an integer, e.g. 5');
    },
  },
  {
    long: 'system-interval',
    key: 'systemInterval',
    valueName: 'SECONDS',
    doc: 'Seconds between two samples of CPU, memory, GPU, disk and network (default 10; 0 turns them off).',
    convert: secondsOrZero,
  },
  {
    long: 'timeout',
    key: 'timeout',
    valueName: 'SECONDS',
    doc: 'Stop the run with status TIMEOUT after SECONDS.',
    convert: positiveSeconds,
  },
  {
    long: 'multirun',
    short: 'M',
    key: 'multirun',
    sweep: true,
    doc: 'Sweep: `with` values become axes (lr=0.1,0.01 range(1,5) ...; see SWEEPS); one run per config.',
  },
  {
    long: 'samples',
    key: 'samples',
    valueName: 'N',
    sweep: true,
    doc: 'With -M: draw N random configs (uniform, loguniform, randint, choice) instead of the grid.',
    convert: positiveInteger('20'),
  },
  {
    long: 'sweep-seed',
    key: 'sweepSeed',
    valueName: 'S',
    sweep: true,
    doc: "With -M: seed of the sweep's draws and of its runs' seeds (default: a fresh one, recorded).",
    convert: (raw) => {
      if (/^\s*\d+\s*$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
      throw new Error('a whole number, e.g. 42');
    },
  },
  {
    long: 'jobs',
    key: 'jobs',
    valueName: 'N',
    sweep: true,
    doc: 'With -M: run N configs at once, each in its own process (default 1).',
    convert: positiveInteger('4'),
  },
  {
    long: 'sweep-metric',
    key: 'sweepMetric',
    valueName: 'NAME',
    sweep: true,
    doc: "With -M: rank the runs by this metric's last value instead of their result.",
    convert: nonEmpty('a metric name, e.g. val.loss'),
  },
  {
    long: 'minimize',
    key: 'minimize',
    sweep: true,
    doc: 'With -M: the best run has the lowest result or metric (default: the highest).',
  },
  { long: 'wait', key: 'wait', worker: true, doc: 'worker: keep polling when the queue is empty.' },
  {
    long: 'max-runs',
    key: 'maxRuns',
    valueName: 'N',
    worker: true,
    doc: 'worker: stop after claiming N runs.',
    convert: positiveInteger('10'),
  },
  {
    long: 'concurrency',
    key: 'concurrency',
    valueName: 'N',
    worker: true,
    doc: 'worker: run N queued runs at once, each in its own process (default 1).',
    convert: positiveInteger('2'),
  },
  {
    long: 'dead-after',
    key: 'deadAfter',
    valueName: 'SECONDS',
    worker: true,
    doc: 'worker: a claimed run without a heartbeat for this long is dead: FAILED, or queued again (default 120s).',
    convert: duration,
  },
  {
    long: 'retries',
    key: 'retries',
    valueName: 'N',
    worker: true,
    doc: 'worker: queue a dead run again up to N times before marking it FAILED (default 0).',
    convert: countOrZero,
  },
  {
    long: 'strict',
    key: 'strict',
    worker: true,
    doc: "worker: refuse (leave QUEUED) a run whose sources differ from the worker's, instead of warning.",
  },
  {
    long: 'poll',
    key: 'poll',
    valueName: 'SECONDS',
    worker: true,
    doc: 'worker --wait: seconds between two looks at an empty queue (default 5).',
    convert: positiveSeconds,
  },
  { long: 'help', short: 'h', key: 'help', doc: 'Print this help and exit.' },
];

export function defaultRunOptions(): RunOptions {
  return {
    printConfig: false,
    unobserved: false,
    queue: false,
    force: false,
    debug: false,
    enforceClean: false,
    beatInterval: 10,
    capture: 'sys',
    multirun: false,
    minimize: false,
    wait: false,
    strict: false,
    help: false,
  };
}

/** How a flag is written for people: `-F/--file_storage DIR`. */
export function flagLabel(spec: OptionSpec): string {
  return `${spec.short ? `-${spec.short}/` : ''}--${spec.long}${spec.valueName ? ` ${spec.valueName}` : ''}`;
}

/** The other spelling of a long name (`file_storage` <-> `file-storage`), if any. */
export function alternateSpelling(long: string): string | undefined {
  if (long.includes('_')) return long.replaceAll('_', '-');
  if (long.includes('-')) return long.replaceAll('-', '_');
  return undefined;
}

/** Applies one flag occurrence to the options; throws CommandLineError for a bad value. */
export function applyOption(options: RunOptions, spec: OptionSpec, raw: string | undefined): void {
  const target = options as unknown as Record<string, unknown>;
  if (!spec.valueName) {
    target[spec.key] = true;
    return;
  }
  if (raw === undefined) throw new CommandLineError(`Option ${flagLabel(spec)} needs a value: ${spec.doc}`);
  if (!spec.convert) {
    target[spec.key] = raw;
    return;
  }
  try {
    target[spec.key] = spec.convert(raw);
  } catch (error) {
    throw new CommandLineError(`Option ${flagLabel(spec)} expects ${errorMessage(error)}; got ${JSON.stringify(raw)}.`);
  }
}

/** Sacred's meta.options record with every flag at its default (null or false). */
export function emptyMetaOptions(): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  for (const spec of OPTION_SPECS) meta[`--${spec.long}`] = spec.valueName ? null : false;
  meta.COMMAND = null;
  meta.UPDATE = [];
  meta.help = false;
  meta.with = false;
  return meta;
}
