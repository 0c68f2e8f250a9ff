/**
 * What the updates (command line and named configs) did to the defaults:
 * the marks print_config shows, and Sacred's typo protection for keys that
 * nothing declares.
 */
import { closestSpelling } from '../spelling-suggestion.js';
import type { JsonObject } from '../run/run-record.js';
import { allPaths, getPath, isPlainObject, jsonEqual } from './tree.js';
import { isTypeChange } from './type-change.js';

/** Dotted paths. An entry is in at most one of the three lists. */
export interface ConfigSummary {
  /** Declared by the defaults and given a different value of the same JSON type. */
  modified: string[];
  /** Not declared by the defaults; an added object lists itself and every path below it. */
  added: string[];
  /** Declared by the defaults with another JSON type (int vs float is the same; null on either side is no change). */
  typechanged: string[];
}

/**
 * Compares the fixed values (updates merged over named configs) with the
 * defaults. Like Sacred, an update that sets a key to the value it already
 * had is not marked. `seed` counts as declared even when the defaults omit
 * it: every run has one.
 */
export function summarizeChanges(defaults: JsonObject, fixed: JsonObject): ConfigSummary {
  const summary: ConfigSummary = { modified: [], added: [], typechanged: [] };
  compare(defaults, fixed, '', summary);
  if (!('seed' in defaults) && 'seed' in fixed) {
    summary.added = summary.added.filter((path) => path !== 'seed');
    summary.modified.push('seed');
  }
  summary.modified.sort();
  summary.added.sort();
  summary.typechanged.sort();
  return summary;
}

function compare(defaults: JsonObject, fixed: JsonObject, prefix: string, summary: ConfigSummary): void {
  for (const [key, value] of Object.entries(fixed)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (!Object.hasOwn(defaults, key)) {
      summary.added.push(path);
      if (isPlainObject(value)) summary.added.push(...allPaths(value as JsonObject, path));
      continue;
    }
    const before = defaults[key]!;
    if (isPlainObject(before) && isPlainObject(value)) {
      compare(before as JsonObject, value as JsonObject, path, summary);
    } else if (isTypeChange(before, value)) {
      summary.typechanged.push(path);
    } else if (!jsonEqual(before, value)) {
      summary.modified.push(path);
    }
  }
}

export interface TypoCheck {
  summary: ConfigSummary;
  /** Defaults merged with every named config's keys: all declarations. */
  declared: JsonObject;
  /** Paths read by config functions or named as used by the experiment. */
  used: ReadonlySet<string>;
}

/**
 * Added paths that nothing declares or uses, outermost only (`modle`, not
 * also `modle.hidden`). A use of a prefix the defaults do not declare covers
 * everything below it (Sacred: a captured argument takes the whole subtree).
 */
export function undeclaredAdditions({ summary, declared, used }: TypoCheck): string[] {
  const reported: string[] = [];
  for (const path of summary.added) {
    if (path === 'seed' || getPath(declared, path) !== undefined) continue;
    if (reported.some((outer) => path.startsWith(`${outer}.`))) continue;
    const prefixes = path.split('.').map((_, i, segments) => segments.slice(0, i + 1).join('.'));
    if (prefixes.some((prefix) => used.has(prefix) && (prefix === path || getPath(declared, prefix) === undefined)))
      continue;
    reported.push(path);
  }
  return reported;
}

/** The closest declared path when it is close enough to be a plausible typo. */
export function suggestKey(path: string, declared: JsonObject): string | undefined {
  const candidates = [...allPaths(declared), 'seed'].filter((candidate) => candidate !== path);
  return closestSpelling(path, candidates, Math.max(2, Math.floor(path.length / 3)));
}

/**
 * Sacred's "Added new config entry" refusal, one line per key; `source`
 * names where the key came from when it was not `with` / configUpdates.
 */
export function describeUndeclared(path: string, declared: JsonObject, source?: string): string {
  const suggestion = suggestKey(path, declared);
  const hint = suggestion ? ` Did you mean '${suggestion}'?` : '';
  const from = source ? ` from ${source}` : '';
  return `Added new config entry '${path}'${from} that is not used anywhere.${hint} Use --force (-f) to add it anyway.`;
}
