import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureRunContext } from './capture/index.js';
import { resolveConfig, freezeConfig, type ConfigEntry, type ResolvedConfig } from './config/index.js';
import { defaultRunOptions, isEntryPoint, type RunOptions } from './commandline/index.js';
import { UsageError } from './errors.js';
import { createLogger, parseLogLevel, type Logger } from './logger.js';
import { observersFromOptions } from './observer/observer-flags.js';
import type { Observer } from './observer/observer.js';
import type { Run } from './run/run.js';
import { executeRun, type RunOutcome } from './run/run-lifecycle.js';
import type { JsonObject, RunMeta } from './run/run-record.js';
import { newRootSeed, type Seeding } from './seeding.js';
import { runCommandline as dispatchCommandline } from './commandline/command-dispatch.js';
import type { CommandTarget, StartRunRequest } from './commandline/command-target.js';
import { reproducesFromEnv } from './run/reproduction-marker.js';

type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** Later config declarations override earlier keys, as in Sacred. */
type Merge<A, B> = Simplify<Omit<A, keyof B> & B>;
type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** The config main receives: the declared shape plus the root seed. */
export type FinalConfig<C> = Readonly<C & { seed: number }>;

/** What `main`, commands and captured functions receive. */
export interface RunContext<C> {
  /** The final config (read-only; a write throws). */
  config: FinalConfig<C>;
  run: Run<FinalConfig<C>>;
  /** The root seed (also `config.seed`); Math.random is seeded from it while main runs. */
  seed: number;
  /** A generator of its own, seeded from a seed derived from the root seed. */
  rng: () => number;
  log: Logger;
}

export type MainFunction<C> = (context: RunContext<C>) => unknown;

/** Options of `ex.run()`: the programmatic form of the command line. */
export interface RunRequest<C> {
  /** Like `with key=value`: nested objects, applied over every default. */
  configUpdates?: DeepPartial<C> & Record<string, unknown>;
  /** Named configs or config-file paths, in order (later wins). */
  namedConfigs?: string[];
  /** Command-line options (`fileStorage`, `unobserved`, `beatInterval`, …). */
  options?: Partial<RunOptions>;
  /** A command registered with `ex.command` (default: main). */
  command?: string;
}

/** Options of `new Experiment(name, options)`. */
export interface ExperimentOptions {
  /** Folder that sources are stored relative to; default: the main file's package root (see README). */
  baseDir?: string;
  /** Environment variables to record in `host.ENV`; nothing else from the environment is stored. */
  envAllowList?: string[];
}

interface CommandEntry {
  fn: MainFunction<any>;
  doc: string;
  /** Built-in inspection commands do not create a run. */
  unobserved: boolean;
}

/**
 * An experiment: a config (typed from the `.config()` chain), observers,
 * a main function and commands. Each call of `run()` or of the command line
 * makes one Run, recorded by every observer.
 */
export class Experiment<C extends object = {}> implements CommandTarget {
  /** @internal */ readonly entries: ConfigEntry[] = [];
  /** @internal */ readonly namedConfigs = new Map<string, ConfigEntry>();
  /** @internal */ readonly observers: Observer[] = [];
  /** @internal */ readonly defaultObservers: Observer[] = [];
  /** @internal */ readonly commands = new Map<string, CommandEntry>();
  /** @internal */ readonly extraSources: string[] = [];
  /** @internal */ readonly extraDependencies = new Map<string, string>();
  /** @internal */ mainFile: string | null = null;
  /** @internal */ readonly options: ExperimentOptions;

  constructor(
    readonly name: string,
    options: ExperimentOptions = {},
  ) {
    if (typeof name !== 'string' || name.length === 0) throw new UsageError('new Experiment(name) needs a non-empty name.');
    this.options = options;
  }

  /**
   * Add config entries: an object, or a function of the config so far that
   * returns more entries (it sees command-line updates already applied).
   */
  config<U extends object>(value: U | ((current: FinalConfig<C>) => U)): Experiment<Merge<C, U>> {
    this.entries.push(typeof value === 'function' ? { kind: 'function', fn: value as (c: unknown) => Record<string, unknown> } : { kind: 'object', value: value as Record<string, unknown> });
    return this as unknown as Experiment<Merge<C, U>>;
  }

  /** A set of updates chosen on the command line by name (`with fast`). */
  namedConfig(name: string, value: (DeepPartial<C> & Record<string, unknown>) | ((current: FinalConfig<C>) => Record<string, unknown>)): this {
    if (this.namedConfigs.has(name)) throw new UsageError(`Named config ${JSON.stringify(name)} is declared twice; give the second one another name.`);
    this.namedConfigs.set(name, typeof value === 'function' ? { kind: 'function', fn: value as (c: unknown) => Record<string, unknown> } : { kind: 'object', value: value as Record<string, unknown> });
    return this;
  }

  /** Add entries from a .json/.yaml file (read when a run starts). Their types are not known statically. */
  addConfigFile(path: string): Experiment<C & Record<string, unknown>> {
    this.entries.push({ kind: 'file', path: resolvePath(path) });
    return this as unknown as Experiment<C & Record<string, unknown>>;
  }

  /**
   * Store every run with this observer, whatever the command line says (`-F`
   * and `-m` add stores beside it). The same folder or database named here and
   * on the command line is one store: a run is stored there once.
   */
  observe(observer: Observer): this {
    this.observers.push(observer);
    return this;
  }

  /**
   * Store runs with this observer unless the command line (or `run()`'s
   * options) names a store with `-F DIR` or `-m URL`: then only the named ones
   * are used, so `-F other` does not also write to the default folder.
   * `-u` disables it like any other observer.
   *
   *   ex.observeByDefault(new FileStorageObserver('runs'));
   */
  observeByDefault(observer: Observer): this {
    this.defaultObservers.push(observer);
    return this;
  }

  addSourceFile(path: string): this {
    this.extraSources.push(resolvePath(path));
    return this;
  }

  addPackageDependency(name: string, version: string): this {
    this.extraDependencies.set(name, version);
    return this;
  }

  /** Register a command, run with `node script.js NAME [with ...]`. It is observed like main. */
  command(name: string, fn: MainFunction<C>, options: { doc?: string; unobserved?: boolean } = {}): this {
    if (!/^[A-Za-z_][\w-]*$/.test(name)) throw new UsageError(`Command name ${JSON.stringify(name)} must be a word (letters, digits, _ and -).`);
    this.commands.set(name, { fn, doc: options.doc ?? '', unobserved: options.unobserved ?? false });
    return this;
  }

  main(fn: MainFunction<C>): this {
    this.commands.set('main', { fn, doc: 'Run the experiment (default).', unobserved: false });
    return this;
  }

  /**
   * Register main and, when the calling file is the process entry point, run
   * the command line and exit with its status. Importing the file (from a
   * test, say) does not start a run.
   * @param caller `import.meta` in ESM, `module` in CommonJS.
   */
  automain(caller: ImportMeta | { filename?: string; id?: string }, fn: MainFunction<C>): this {
    this.main(fn);
    const file = callerFile(caller);
    if (file) this.mainFile = file;
    if (isEntryPoint(caller as ImportMeta)) {
      // Deferred so that the rest of the module (and its chained calls) finish first.
      setImmediate(() => {
        void this.runCommandline(process.argv.slice(2)).then((code) => {
          process.exitCode = code;
        });
      });
    }
    return this;
  }

  /**
   * A function that reads the run's config: it receives the config (merged
   * with the overrides passed at call time) plus a derived `seed` and `rng`.
   * `const build = ex.capture(({ model, lr }) => …); build(); build({ lr: 0.1 })`
   */
  capture<A extends unknown[], R>(
    fn: (config: FinalConfig<C> & { seed: number; rng: () => number }, ...rest: A) => R,
  ): (overrides?: DeepPartial<C>, ...rest: A) => R {
    return (overrides, ...rest) => {
      const active = this.active;
      if (!active) throw new UsageError('A captured function was called outside a run. Call it from main or a command.');
      const seed = active.seeding.deriveSeed();
      const merged = { ...(active.config as object), ...(overrides ?? {}), seed, rng: active.seeding.createRng(seed) };
      return fn(merged as FinalConfig<C> & { seed: number; rng: () => number }, ...rest);
    };
  }

  /** The run in progress (for captured functions). */
  private active: { config: unknown; seeding: Seeding } | null = null;

  /** Run from a command line (`process.argv.slice(2)` by default); resolves to the process exit code. */
  runCommandline(argv: string[] = process.argv.slice(2)): Promise<number> {
    return dispatchCommandline(this, argv);
  }

  /** Run programmatically. Resolves with the finished run; rejects with main's error if it failed. */
  async run(request: RunRequest<C> = {}): Promise<Run<FinalConfig<C>>> {
    const outcome = await this.startRun({
      command: request.command ?? 'main',
      updates: (request.configUpdates ?? {}) as Record<string, unknown>,
      requested: request.namedConfigs ?? [],
      options: { ...defaultRunOptions(), ...request.options },
      metaOptions: {},
      handleSignals: false,
    });
    if (outcome.status === 'FAILED') throw outcome.error;
    return outcome.run as Run<FinalConfig<C>>;
  }

  /** @internal Resolve the config for a command line or ex.run() request. */
  resolve(updates: Record<string, unknown>, requested: string[], force: boolean): ResolvedConfig {
    return resolveConfig({ entries: this.entries, namedConfigs: this.namedConfigs, requested, updates, force, newSeed: newRootSeed });
  }

  /** @internal One run of a command: shared by the command line and `run()`. */
  async startRun(request: StartRunRequest): Promise<RunOutcome> {
    const entry = this.commands.get(request.command);
    if (!entry) {
      const known = [...this.commands.keys()].join(', ') || '(none: call ex.main(fn) first)';
      throw new UsageError(`Unknown command ${JSON.stringify(request.command)}. Available: ${known}.`);
    }
    const { options } = request;
    const resolved = request.resolved ?? this.resolve(request.updates, request.requested, options.force);
    const config = resolved.config;
    const seed = config.seed as number;
    const frozen = freezeConfig(config);
    const log = createLogger(this.name, parseLogLevel(options.loglevel));
    const warn = (message: string) => process.stderr.write(`WARNING - ${this.name} - ${message}\n`);
    const named = options.unobserved ? [] : await observersFromOptions(options);
    const observers = options.unobserved ? [] : [...this.observers, ...(named.length > 0 ? named : this.defaultObservers)];
    if (observers.length === 0 && !options.unobserved && !entry.unobserved) warn('No observers have been added to this run (use -F DIR, -m URL ex.observe() or ex.observeByDefault(); -u silences this).');
    const reproduces = reproducesFromEnv();
    const meta: RunMeta = {
      command: request.command,
      options: request.metaOptions,
      config_updates: request.updates as JsonObject,
      named_configs: resolved.namedConfigs,
      ...(options.comment !== undefined ? { comment: options.comment } : {}),
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
      ...(reproduces !== undefined ? { reproduces } : {}),
    };
    const mainFile = this.mainFile ?? (process.argv[1] ? resolvePath(process.argv[1]) : null);
    return executeRun({
      experimentName: options.name ?? this.name,
      command: request.command,
      config,
      frozenConfig: frozen,
      seed,
      meta,
      observers,
      beatInterval: options.beatInterval,
      capture: options.capture,
      queue: options.queue,
      // Sacred's --id makes string ids that break numeric id allocation; a number-like id stays a number.
      requestedId: options.id === undefined ? null : /^\d+$/.test(options.id) ? Number(options.id) : options.id,
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      handleSignals: request.handleSignals,
      log,
      warn,
      captureContext: () =>
        captureRunContext({
          mainFile: mainFile ?? resolvePath('.'),
          ...(this.options.baseDir !== undefined ? { baseDir: this.options.baseDir } : {}),
          extraSources: this.extraSources,
          extraDependencies: this.extraDependencies,
          envAllowList: this.options.envAllowList ?? [],
          enforceClean: options.enforceClean,
        }),
      body: async (run, seeding) => {
        this.active = { config: frozen, seeding };
        try {
          return await entry.fn({ config: frozen as never, run: run as never, seed, rng: seeding.createRng(seeding.deriveSeed()), log });
        } finally {
          this.active = null;
        }
      },
    });
  }
}


function callerFile(caller: ImportMeta | { filename?: string; id?: string }): string | null {
  const meta = caller as Partial<ImportMeta>;
  if (typeof meta.url === 'string' && meta.url.startsWith('file:')) return fileURLToPath(meta.url);
  const cjs = caller as { filename?: string };
  return typeof cjs.filename === 'string' ? cjs.filename : null;
}
