/**
 * An update that changes the JSON type of a declared config value (`lr=abc`
 * for a number) is refused before the run starts: `main` is typed from the
 * declared values, so a run that went on would break the promise its types
 * make (Sacred only warns; Hydra's structured configs refuse). `null` on
 * either side is allowed (a value declared "not set", or unset by an update),
 * and an integer for a float is the same type. `--force` lets it through.
 */
import type { JsonObject, JsonValue } from '../run/run-record.js';
import { jsonTypeOf } from './tree.js';

type JsonType = ReturnType<typeof jsonTypeOf>;

/** True when giving `given` where `declared` was declared is a type change. */
export function isTypeChange(declared: JsonValue, given: JsonValue): boolean {
  if (declared === null || given === null) return false;
  return jsonTypeOf(declared) !== jsonTypeOf(given);
}

const ARTICLE_NOUN: Record<JsonType, string> = {
  null: 'null',
  boolean: 'a boolean',
  number: 'a number',
  string: 'a string',
  array: 'a list',
  object: 'an object',
};

const NOUN: Record<JsonType, string> = {
  null: 'null',
  boolean: 'boolean',
  number: 'number',
  string: 'string',
  array: 'list',
  object: 'object',
};

/** JSON text cut to a readable length: a line naming a 10 kB default helps nobody. */
function shown(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Words the update grammar reads as something other than text (so an example must quote them). */
const NOT_PLAIN_TEXT = /^(?:null|Null|NULL|~|true|True|TRUE|false|False|FALSE)$/;

/** How the declared value is written after `with`, so the example can be pasted. */
function updateText(value: JsonValue): string {
  if (typeof value === 'string') {
    return /^[A-Za-z_][\w\-./]*$/.test(value) && !NOT_PLAIN_TEXT.test(value) ? value : `'${JSON.stringify(value)}'`;
  }
  return JSON.stringify(value);
}

/** An example update of the declared type: the default itself, or for an object, its first leaf. */
function example(path: string, declared: JsonValue): string {
  if (jsonTypeOf(declared) === 'object') {
    const entries = Object.entries(declared as JsonObject);
    if (entries.length === 0) return `${path}={}`;
    const [key, value] = entries[0]!;
    return example(`${path}.${key}`, value);
  }
  return `${path}=${updateText(declared)}`;
}

/**
 * `lr=0.01,0.1` reads as the string "0.01,0.1"; when every part has the
 * declared scalar type it was almost surely meant as a sweep.
 */
function looksLikeSweep(declared: JsonValue, given: JsonValue): boolean {
  if (Array.isArray(given)) return true;
  if (typeof given !== 'string' || !given.includes(',')) return false;
  const parts = given.split(',').map((part) => part.trim());
  if (typeof declared === 'number') return parts.every((part) => part !== '' && Number.isFinite(Number(part)));
  if (typeof declared === 'boolean') return parts.every((part) => /^(?:true|false)$/i.test(part));
  return false;
}

export interface TypeChange {
  /** Dotted path of the changed entry. */
  path: string;
  declared: JsonValue;
  given: JsonValue;
  /** Where the value came from, e.g. `named config 'big'`; omitted for `with` / configUpdates. */
  source?: string;
}

/**
 * One line: what was declared, what was given, and what to do, e.g.
 * `Config 'lr' is a number (default 0.001); got the string "abc". Give a number (with lr=0.001), or use --force
 * to change its type.`
 */
export function describeTypeChange({ path, declared, given, source }: TypeChange): string {
  const declaredType = jsonTypeOf(declared);
  const givenType = jsonTypeOf(given);
  const from = source ? ` from ${source}` : '';
  const scalar = declaredType !== 'array' && declaredType !== 'object';
  // A string declared, a number or boolean given: the user meant text, and the grammar needs quotes for it.
  const fix =
    declaredType === 'string' && (givenType === 'number' || givenType === 'boolean')
      ? `${path}='"${String(given)}"'`
      : example(path, declared);
  const sweep = scalar && looksLikeSweep(declared, given) ? ' To sweep over values use --multirun.' : '';
  return (
    `Config '${path}' is ${ARTICLE_NOUN[declaredType]} (default ${shown(declared)}); ` +
    `got the ${NOUN[givenType]} ${shown(given)}${from}. ` +
    `Give ${ARTICLE_NOUN[declaredType]} (with ${fix}), or use --force to change its type.${sweep}`
  );
}
