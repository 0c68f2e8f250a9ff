/**
 * Builds a run's final config from the experiment's declarations and what
 * the caller asked for, with Sacred 0.8.7's precedence:
 *
 *   explicit updates (`with a.b=1`)  >  named configs (later wins)  >  defaults
 *   (.config() objects, functions and files, in declaration order)
 *
 * Order of evaluation:
 * 1. Named configs, in the order requested. A named config given as a
 *    function receives the config as it stands without it: the defaults
 *    evaluated with the updates and the earlier named configs applied
 *    (Sacred only shows it the fixed values; seeing the defaults too lets
 *    `namedConfig('big', (c) => ({ batchSize: c.batchSize * 4 }))` work).
 * 2. The defaults, in declaration order. A config function receives
 *    everything declared before it, with updates and named-config values
 *    already applied; its output never overrides those fixed values.
 * 3. The fixed values (named configs, then updates over them) are merged over
 *    the defaults, the seed is drawn if none was given, and the summary is
 *    made against the defaults.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, RitualError, UsageError } from '../errors.js';
import type { JsonObject, JsonValue } from '../run/run-record.js';
import { closestSpelling } from '../spelling-suggestion.js';
import { isConfigFileName, loadConfigFileSync } from './file.js';
import { trackReads } from './read-tracker.js';
import { describeUndeclared, summarizeChanges, undeclaredAdditions, type ConfigSummary } from './summary.js';
import { cloneJson, getPath, isPlainObject, mergeTrees, nestPath } from './tree.js';
import { describeTypeChange } from './type-change.js';
import { validateConfigValue } from './validate.js';
import { errorMessage } from '../error-message.js';

export type ConfigEntry =
  | { kind: 'object'; value: Record<string, unknown> }
  // biome-ignore lint/suspicious/noExplicitAny: each config function is typed by its own .config() call
  | { kind: 'function'; fn: (current: any) => Record<string, unknown> }
  /** .json/.yaml/.yml, loaded at resolve time (relative paths against the process's cwd). */
  | { kind: 'file'; path: string };

export interface ResolveConfigInput {
  /** .config()/.addConfigFile() in declaration order. */
  entries: ConfigEntry[];
  /** .namedConfig(name, ...). */
  namedConfigs: ReadonlyMap<string, ConfigEntry>;
  /** Bare words from the command line / ex.run({namedConfigs}) in order: a named config, or a .json/.yaml file path. */
  requested: string[];
  /** Nested object from `with a.b=1`. */
  updates: Record<string, unknown>;
  /** --force: allow added keys that nothing declares, and values of another type than declared. */
  force: boolean;
  /** Called only if the final config has no `seed`. */
  newSeed: () => number;
  /** Dotted config paths the experiment knows are read (e.g. by captured functions); they may be added without --force. */
  usedKeys?: readonly string[];
}

export interface ResolvedConfig {
  config: JsonObject;
  summary: ConfigSummary;
  /** The requested named configs / files, as given. */
  namedConfigs: string[];
}

function validated(value: unknown, source: string): JsonObject {
  if (!isPlainObject(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new ConfigError('', `${source} gave ${kind}; it must be an object of config entries, e.g. { lr: 0.01 }.`);
  }
  try {
    validateConfigValue(value);
  } catch (error) {
    if (error instanceof ConfigError)
      throw new ConfigError(error.path, `${source}: ${error.message}`, { cause: error });
    throw error;
  }
  return cloneJson(value as JsonObject);
}

function evaluate(entry: ConfigEntry, current: JsonObject, source: string, used?: Set<string>): JsonObject {
  switch (entry.kind) {
    case 'object':
      return validated(entry.value, source);
    case 'file':
      return validated(loadConfigFileSync(entry.path), source);
    case 'function': {
      const view = used ? trackReads(cloneJson(current), used) : cloneJson(current);
      let output: unknown;
      try {
        output = entry.fn(view);
      } catch (error) {
        if (error instanceof RitualError) throw error;
        throw new ConfigError(
          '',
          `${source} threw: ${errorMessage(error)}. It receives the config declared before it, with command-line updates applied; fix the function.`,
          { cause: error },
        );
      }
      if (output instanceof Promise) {
        throw new ConfigError(
          '',
          `${source} returned a Promise; config functions must be synchronous. Load async data before declaring the config.`,
        );
      }
      return validated(output, source);
    }
  }
}

function describe(entry: ConfigEntry, index: number): string {
  if (entry.kind === 'file') return `Config file '${entry.path}' (entry #${index + 1})`;
  return `${entry.kind === 'function' ? 'Config function' : 'Config object'} #${index + 1}`;
}

/** Evaluates the defaults with `fixed` applied to what each function sees. */
function evaluateDefaults(entries: ConfigEntry[], fixed: JsonObject, used?: Set<string>): JsonObject {
  let defaults: JsonObject = {};
  entries.forEach((entry, index) => {
    const output = evaluate(entry, mergeTrees(defaults, fixed), describe(entry, index), used);
    defaults = mergeTrees(defaults, output);
  });
  return defaults;
}

/** A requested word: a named config first (Sacred looks for a file first; a name is what the user declared), then a config file. */
function findNamed(word: string, namedConfigs: ReadonlyMap<string, ConfigEntry>): ConfigEntry {
  const named = namedConfigs.get(word);
  if (named) return named;
  if (existsSync(word) && statSync(word).isFile()) {
    if (!isConfigFileName(word)) {
      throw new UsageError(`'${word}' is a file but not a config file: config files must end in .json, .yaml or .yml.`);
    }
    return { kind: 'file', path: word };
  }
  if (isConfigFileName(word)) {
    throw new UsageError(
      `Config file '${word}' does not exist (resolved to ${resolve(word)}). Check the path; it is relative to the current directory.`,
    );
  }
  const names = [...namedConfigs.keys()];
  const best = closestSpelling(word, names, Math.max(2, Math.floor(word.length / 3)));
  const hint = best !== undefined ? ` Did you mean '${best}'?` : '';
  const available =
    names.length > 0 ? `Available named configs: ${names.join(', ')}.` : 'This experiment has no named configs.';
  throw new UsageError(
    `Unknown named config '${word}', and no config file of that name exists.${hint} ${available} Updates need a value: key=value.`,
  );
}

function checkSeed(config: JsonObject): void {
  const seed = config.seed;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new ConfigError(
      'seed',
      `Config 'seed' must be an integer (it seeds every random generator of the run), got ${JSON.stringify(seed)}. Use e.g. \`with seed=42\`.`,
    );
  }
}

/**
 * `ex.run({ configUpdates: { 'model.hidden': 256 } })` means what
 * `with model.hidden=256` means (Sacred's convert_to_nested_dict): dotted
 * keys of the updates become nested objects. Only updates get this reading;
 * a dotted key among the defaults is refused.
 */
function expandDottedKeys(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  let out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const expanded = expandDottedKeys(item);
    const segments = key.split('.');
    if (segments.length === 1 || segments.some((segment) => segment === '')) {
      // Plain keys, and malformed ones left for validation to name.
      out = mergeTrees(out, { [key]: expanded as JsonValue });
      continue;
    }
    out = mergeTrees(out, nestPath(segments, expanded as JsonValue));
  }
  return out;
}

/** The final config of a run, its change summary and the named configs applied. */
export function resolveConfig(input: ResolveConfigInput): ResolvedConfig {
  const updates = validated(expandDottedKeys(input.updates), 'The config updates');

  // 1. Named configs; each sees the fixed values so far (and, if a function, the defaults).
  let named: JsonObject = {};
  const sources: Array<{ source: string; values: JsonObject }> = [];
  input.requested.forEach((word) => {
    const entry = findNamed(word, input.namedConfigs);
    const fixedSoFar = mergeTrees(named, updates);
    const current =
      entry.kind === 'function' ? mergeTrees(evaluateDefaults(input.entries, fixedSoFar), fixedSoFar) : fixedSoFar;
    const source = entry.kind === 'file' ? `config file '${word}'` : `named config '${word}'`;
    const values = evaluate(entry, current, source.charAt(0).toUpperCase() + source.slice(1));
    sources.push({ source, values });
    named = mergeTrees(named, values);
  });
  const fixed = mergeTrees(named, updates);

  // 2. Defaults, recording what config functions read for the typo check.
  const used = new Set<string>(input.usedKeys ?? []);
  const defaults = evaluateDefaults(input.entries, fixed, used);

  // 3. Final config, seed and summary.
  const config = mergeTrees(defaults, fixed);
  if (!Object.hasOwn(config, 'seed')) config.seed = input.newSeed();
  checkSeed(config);
  const summary = summarizeChanges(defaults, fixed);

  if (!input.force) {
    // Where a value came from: `with`/configUpdates win, then the last named config that sets it.
    const sourceOf = (path: string): string | undefined =>
      getPath(updates, path) !== undefined
        ? undefined
        : sources.findLast(({ values }) => getPath(values, path) !== undefined)?.source;
    const problems = [
      ...undeclaredAdditions({ summary, declared: defaults, used }).map((path) => ({
        path,
        line: describeUndeclared(path, defaults, sourceOf(path)),
      })),
      ...summary.typechanged.map((path) => {
        const source = sourceOf(path);
        const change = { path, declared: getPath(defaults, path)!, given: getPath(fixed, path)! };
        return { path, line: describeTypeChange({ ...change, ...(source ? { source } : {}) }) };
      }),
    ];
    // One line per problem, so every mistake on a long command line is fixed in one go.
    if (problems.length > 0) throw new ConfigError(problems[0]!.path, problems.map(({ line }) => line).join('\n'));
  }
  return { config, summary, namedConfigs: [...input.requested] };
}

/**
 * The overrides a captured function is called with (`build({ lr: 0.1 })`)
 * get the checks `with` gets: no undeclared keys, no type changes, unless
 * the run was started with --force. They come during the run, so a refusal
 * fails the run at that call.
 */
export function checkOverrides(config: JsonObject, overrides: Record<string, unknown>, force: boolean): void {
  const values = validated(overrides, "A captured function's overrides");
  if (force) return;
  const summary = summarizeChanges(config, values);
  const source = "a captured function's overrides";
  const lines = [
    ...undeclaredAdditions({ summary, declared: config, used: new Set() }).map((path) =>
      describeUndeclared(path, config, source),
    ),
    ...summary.typechanged.map((path) =>
      describeTypeChange({ path, declared: getPath(config, path)!, given: getPath(values, path)!, source }),
    ),
  ];
  if (lines.length > 0) throw new ConfigError(summary.typechanged[0] ?? summary.added[0] ?? '', lines.join('\n'));
}
