import { replayNativeWarnings } from './capture/native-replay-check.js';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureRunContext } from './capture/index.js';
import {
  applySchema,
  checkIsStandardSchema,
  checkOverrides,
  freezeConfig,
  resolveConfig,
  schemaAddedPaths,
  type ConfigEntry,
  type ResolveConfigInput,
  type ResolvedConfig,
  type SchemaOutput,
  type StandardSchemaV1,
} from './config/index.js';
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
import { runSweepOf, sweepMarkerFromEnv } from './sweep/sweep-marker.js';
import { queueClaimFromEnv } from './queue/queue-claim.js';
import { checkSystemInterval, DEFAULT_SYSTEM_INTERVAL_SECONDS } from './system-metrics/system-interval.js';

type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** Later config declarations override earlier keys, as in Sacred. */
type Merge<A, B> = Simplify<Omit<A, keyof B> & B>;
type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/**
 * What an update may set (a named config, `ex.run`'s configUpdates, a
 * captured call's overrides): declared keys and the seed, each optional at
 * every depth. An unknown key in an object literal is a type error, as it is
 * a refusal at run time (an experiment with a config file accepts any key).
 */
export type ConfigUpdate<C> = DeepPartial<C & { seed: number }>;

/**
 * `R` with every key `T` does not have (at any depth) turned into `never`: a
 * function's returned object literal gets no excess-property check of its
 * own, so a named config function is checked through this instead.
 */
type NoExtraKeys<R, T> = {
  [K in keyof R]: K extends keyof T
    ? R[K] extends readonly unknown[]
      ? R[K]
      : R[K] extends object
        ? NoExtraKeys<R[K], NonNullable<T[K]>>
        : R[K]
    : never;
};

/** The config main receives: the declared shape plus the root seed. */
export type FinalConfig<C> = Readonly<C & { seed: number }>;

/** `T` without its index signatures (`[key: string]: unknown`), keeping the named keys. */
type NamedKeys<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };

/**
 * The shape main sees: the declared config when there is no schema output
 * type. A schema that keeps unknown keys (zod's looseObject, valibot's
 * looseObject: an index signature in its output) types the keys it names and
 * leaves the other declared keys as declared; a schema without one (zod's
 * default object strips unknown keys) is the whole config.
 */
export type CheckedConfig<C, V> = V extends object ? (string extends keyof V ? Merge<C, NamedKeys<V>> : V) : C;

/** What `ex.schema(s)` makes main's config: the output type of `s`, when it has one. */
type SchemaConfig<S extends StandardSchemaV1> =
  unknown extends SchemaOutput<S> ? undefined : SchemaOutput<S> extends object ? SchemaOutput<S> : undefined;

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
  /** Like `with key=value`: nested objects, applied over every default; unknown keys need `options.force`. */
  configUpdates?: ConfigUpdate<C>;
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
  /**
   * Seconds between two samples of system metrics (CPU, memory, GPU, disk, network) while main runs;
   * 0 turns them off. `--system-interval` overrides it. Default 10. See README, "System metrics".
   */
  systemInterval?: number;
}

interface CommandEntry {
  // biome-ignore lint/suspicious/noExplicitAny: commands of any config type share one registry
  fn: MainFunction<any>;
  doc: string;
  /** Built-in inspection commands do not create a run. */
  unobserved: boolean;
}

/** `ex.run()` with `options.force`: configUpdates may add keys the experiment does not declare. */
export interface ForcedRunRequest<C> extends Omit<RunRequest<C>, 'configUpdates' | 'options'> {
  configUpdates?: ConfigUpdate<C> & Record<string, unknown>;
  options: Partial<RunOptions> & { force: true };
}

/**
 * An experiment: a config (typed from the `.config()` chain), observers,
 * a main function and commands. Each call of `run()` or of the command line
 * makes one Run, recorded by every observer.
 *
 * `C` is the declared config; `V` the output type of the schema given to
 * `ex.schema()`, when it has one (then main's config is typed from it).
 */
// biome-ignore lint/complexity/noBannedTypes: `{}` is the empty config each .config() call intersects with
export class Experiment<C extends object = {}, V = undefined> implements CommandTarget {
  /** @internal */ readonly entries: ConfigEntry[] = [];
  /** @internal */ readonly namedConfigs = new Map<string, ConfigEntry>();
  /** @internal */ readonly observers: Observer[] = [];
  /** @internal */ readonly defaultObservers: Observer[] = [];
  /** @internal */ readonly commands = new Map<string, CommandEntry>();
  /** @internal */ readonly extraSources: string[] = [];
  /** @internal */ readonly extraDependencies = new Map<string, string>();
  /** @internal */ mainFile: string | null = null;
  /** @internal */ readonly options: ExperimentOptions;
  /** @internal */ configSchema: StandardSchemaV1 | null = null;

  constructor(
    readonly name: string,
    options: ExperimentOptions = {},
  ) {
    if (typeof name !== 'string' || name.length === 0)
      throw new UsageError('new Experiment(name) needs a non-empty name.');
    if (options.systemInterval !== undefined) {
      checkSystemInterval(options.systemInterval, 'new Experiment(name, { systemInterval })');
    }
    this.options = options;
  }

  /**
   * Add config entries: an object, or a function of the config so far that
   * returns more entries (it sees command-line updates already applied).
   */
  config<U extends object>(value: U | ((current: FinalConfig<C>) => U)): Experiment<Merge<C, U>, V> {
    this.entries.push(
      typeof value === 'function'
        ? { kind: 'function', fn: value as (c: unknown) => Record<string, unknown> }
        : { kind: 'object', value: value as Record<string, unknown> },
    );
    return this as unknown as Experiment<Merge<C, U>, V>;
  }

  /**
   * Check the final config with a Standard Schema v1 object (zod, valibot,
   * arktype, or hand-written), for what a type cannot say:
   *
   *   ex.schema(z.object({ lr: z.number().gt(0).lt(1) }).passthrough())
   *
   * It runs after every update and derived config, before any observer
   * starts; each issue is one line naming its dotted path, exit 2, nothing
   * stored. A transformed value (defaults, coercions) is the run's config and
   * what is stored; main's config is typed from the schema's output type.
   * A schema that strips unknown keys (zod's default) strips them from the
   * run's config too, except `seed`, which is always kept.
   */
  schema<S extends StandardSchemaV1>(schema: S): Experiment<C, SchemaConfig<S>> {
    checkIsStandardSchema(schema);
    if (this.configSchema) {
      throw new UsageError('ex.schema() was called twice; an experiment has one schema. Combine them into one.');
    }
    this.configSchema = schema;
    return this as unknown as Experiment<C, SchemaConfig<S>>;
  }

  /**
   * A set of updates chosen on the command line by name (`with fast`). Like
   * `with`, it may only set declared keys to values of their declared type
   * (unless `--force`).
   */
  namedConfig<R extends ConfigUpdate<C>>(
    name: string,
    value: ConfigUpdate<C> | ((current: FinalConfig<C>) => R & NoExtraKeys<R, ConfigUpdate<C>>),
  ): this {
    if (this.namedConfigs.has(name))
      throw new UsageError(`Named config ${JSON.stringify(name)} is declared twice; give the second one another name.`);
    this.namedConfigs.set(
      name,
      typeof value === 'function'
        ? { kind: 'function', fn: value as (c: unknown) => Record<string, unknown> }
        : { kind: 'object', value: value as Record<string, unknown> },
    );
    return this;
  }

  /** Add entries from a .json/.yaml file (read when a run starts). Their types are not known statically. */
  addConfigFile(path: string): Experiment<C & Record<string, unknown>, V> {
    this.entries.push({ kind: 'file', path: resolvePath(path) });
    return this as unknown as Experiment<C & Record<string, unknown>, V>;
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
  command(
    name: string,
    fn: MainFunction<CheckedConfig<C, V>>,
    options: { doc?: string; unobserved?: boolean } = {},
  ): this {
    if (!/^[A-Za-z_][\w-]*$/.test(name))
      throw new UsageError(`Command name ${JSON.stringify(name)} must be a word (letters, digits, _ and -).`);
    this.commands.set(name, { fn, doc: options.doc ?? '', unobserved: options.unobserved ?? false });
    return this;
  }

  main(fn: MainFunction<CheckedConfig<C, V>>): this {
    this.commands.set('main', { fn, doc: 'Run the experiment (default).', unobserved: false });
    return this;
  }

  /**
   * Register main and, when the calling file is the process entry point, run
   * the command line and exit with its status. Importing the file (from a
   * test, say) does not start a run.
   * @param caller `import.meta` in ESM, `module` in CommonJS.
   */
  automain(caller: ImportMeta | { filename?: string; id?: string }, fn: MainFunction<CheckedConfig<C, V>>): this {
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
   * Overrides get the checks `with` gets (declared keys, declared types; the
   * run's --force allows both): a refused override throws a ConfigError.
   */
  capture<A extends unknown[], R>(
    fn: (config: FinalConfig<CheckedConfig<C, V>> & { seed: number; rng: () => number }, ...rest: A) => R,
  ): (overrides?: ConfigUpdate<CheckedConfig<C, V>>, ...rest: A) => R {
    return (overrides, ...rest) => {
      const active = this.active;
      if (!active)
        throw new UsageError('A captured function was called outside a run. Call it from main or a command.');
      if (overrides !== undefined) checkOverrides(active.config, overrides as Record<string, unknown>, active.force);
      const seed = active.seeding.deriveSeed();
      const merged = { ...active.config, ...(overrides ?? {}), seed, rng: active.seeding.createRng(seed) };
      return fn(merged as FinalConfig<CheckedConfig<C, V>> & { seed: number; rng: () => number }, ...rest);
    };
  }

  /** The run in progress (for captured functions). */
  private active: { config: JsonObject; seeding: Seeding; force: boolean } | null = null;

  /** Run from a command line (`process.argv.slice(2)` by default); resolves to the process exit code. */
  runCommandline(argv: string[] = process.argv.slice(2)): Promise<number> {
    return dispatchCommandline(this, argv);
  }

  /**
   * Run programmatically. Resolves with the finished run; rejects with main's
   * error if it failed, or with a ConfigError (nothing stored) if the config
   * is refused. configUpdates may add undeclared keys only with `options: { force: true }`.
   */
  run(request: ForcedRunRequest<C>): Promise<Run<FinalConfig<CheckedConfig<C, V>>>>;
  run(request?: RunRequest<C>): Promise<Run<FinalConfig<CheckedConfig<C, V>>>>;
  async run(request: RunRequest<C> | ForcedRunRequest<C> = {}): Promise<Run<FinalConfig<CheckedConfig<C, V>>>> {
    const outcome = await this.startRun({
      command: request.command ?? 'main',
      updates: (request.configUpdates ?? {}) as Record<string, unknown>,
      requested: request.namedConfigs ?? [],
      options: { ...defaultRunOptions(), ...request.options },
      metaOptions: {},
      handleSignals: false,
    });
    if (outcome.status === 'FAILED') throw outcome.error;
    return outcome.run as Run<FinalConfig<CheckedConfig<C, V>>>;
  }

  /** @internal Resolve the config for a command line or ex.run() request. */
  resolve(updates: Record<string, unknown>, requested: string[], force: boolean): ResolvedConfig {
    return resolveConfig(this.resolveInput(updates, requested, force));
  }

  private resolveInput(updates: Record<string, unknown>, requested: string[], force: boolean): ResolveConfigInput {
    return { entries: this.entries, namedConfigs: this.namedConfigs, requested, updates, force, newSeed: newRootSeed };
  }

  /** @internal The config a run uses: resolved, then checked (and possibly transformed) by the schema. */
  async resolveChecked(updates: Record<string, unknown>, requested: string[], force: boolean): Promise<ResolvedConfig> {
    const schema = this.configSchema;
    if (!schema) return this.resolve(updates, requested, force);
    // Keys the schema adds to the defaults (its own defaults) are declared by it: replaying a stored
    // config (`with runs/1/config.json`) that holds them must not be refused as a typo.
    const defaults = this.resolve({}, [], true).config;
    const output = await applySchema(defaults, schema).catch(() => defaults);
    const usedKeys = schemaAddedPaths(defaults, output);
    const resolved = resolveConfig({ ...this.resolveInput(updates, requested, force), usedKeys });
    return { ...resolved, config: await applySchema(resolved.config, schema) };
  }

  /** @internal One run of a command: shared by the command line and `run()`. */
  async startRun(request: StartRunRequest): Promise<RunOutcome> {
    const entry = this.commands.get(request.command);
    if (!entry) {
      const known = [...this.commands.keys()].join(', ') || '(none: call ex.main(fn) first)';
      throw new UsageError(`Unknown command ${JSON.stringify(request.command)}. Available: ${known}.`);
    }
    const { options } = request;
    const resolved = request.resolved ?? (await this.resolveChecked(request.updates, request.requested, options.force));
    const config = resolved.config;
    const seed = config.seed as number;
    const frozen = freezeConfig(config);
    const log = createLogger(this.name, parseLogLevel(options.loglevel));
    const warn = (message: string) => process.stderr.write(`WARNING - ${this.name} - ${message}\n`);
    const named = options.unobserved ? [] : await observersFromOptions(options);
    const observers = options.unobserved
      ? []
      : [...this.observers, ...(named.length > 0 ? named : this.defaultObservers)];
    if (observers.length === 0 && !options.unobserved && !entry.unobserved)
      warn(
        'No observers have been added to this run (use -F DIR, -m URL ex.observe() or ex.observeByDefault(); -u silences this).',
      );
    for (const warning of replayNativeWarnings(request.requested)) warn(warning);
    const reproduces = reproducesFromEnv();
    const marker = sweepMarkerFromEnv();
    const sweep = request.sweep ?? (marker !== undefined ? runSweepOf(marker) : undefined);
    const claimed = options.queue ? undefined : queueClaimFromEnv();
    const meta: RunMeta = {
      command: request.command,
      options: request.metaOptions,
      config_updates: request.updates as JsonObject,
      named_configs: resolved.namedConfigs,
      ...(options.comment !== undefined ? { comment: options.comment } : {}),
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
      ...(reproduces !== undefined ? { reproduces } : {}),
      ...(sweep !== undefined ? { sweep } : {}),
    };
    const mainFile = this.mainFile ?? (process.argv[1] ? resolvePath(process.argv[1]) : null);
    if (options.systemInterval !== undefined) checkSystemInterval(options.systemInterval, 'options.systemInterval');
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
      ...(claimed !== undefined ? { claimed } : {}),
      systemInterval: options.systemInterval ?? this.options.systemInterval ?? DEFAULT_SYSTEM_INTERVAL_SECONDS,
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      handleSignals: request.handleSignals,
      log,
      warn,
      captureContext: () => {
        const cell = request.contextCell ?? {};
        cell.context ??= captureRunContext({
          mainFile: mainFile ?? resolvePath('.'),
          ...(this.options.baseDir !== undefined ? { baseDir: this.options.baseDir } : {}),
          extraSources: this.extraSources,
          extraDependencies: this.extraDependencies,
          envAllowList: this.options.envAllowList ?? [],
          enforceClean: options.enforceClean,
        });
        return cell.context;
      },
      body: async (run, seeding) => {
        this.active = { config: frozen, seeding, force: options.force };
        try {
          return await entry.fn({
            config: frozen as never,
            run: run as never,
            seed,
            rng: seeding.createRng(seeding.deriveSeed()),
            log,
          });
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
