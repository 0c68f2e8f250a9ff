/**
 * Small operations on config trees (nested plain objects of JSON values):
 * the merge that gives updates their precedence, and dotted-path walks.
 * Arrays are leaves: an update replaces an array, it never merges into it.
 */
import type { JsonObject, JsonValue } from '../run/run-record.js';

/** True for `{}`-style objects (Object or null prototype), false for arrays, Dates, Maps, class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * `obj[key] = value`, except that a `__proto__` key stays an own property
 * (plain assignment would replace the prototype and the key would vanish
 * before validation could refuse it).
 */
export function setOwn(target: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** A deep copy of a JSON tree, so no caller can reach into another's objects. */
export function cloneJson<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => cloneJson(item)) as T;
  if (isPlainObject(value)) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) setOwn(out, key, cloneJson(item as JsonValue));
    return out as T;
  }
  // JSON has no negative zero (JSON.stringify(-0) is "0"): store 0, so that a replayed config is the same.
  if (Object.is(value, -0)) return 0 as T;
  return value;
}

/**
 * Returns a new tree: `over` wins over `base`; where both hold objects they
 * merge key by key (so `model.hidden=256` keeps `model.layers`).
 */
export function mergeTrees(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = cloneJson(base);
  for (const [key, value] of Object.entries(over)) {
    const current = Object.hasOwn(out, key) ? out[key] : undefined;
    setOwn(
      out,
      key,
      isPlainObject(current) && isPlainObject(value)
        ? mergeTrees(current as JsonObject, value as JsonObject)
        : cloneJson(value),
    );
  }
  return out;
}

/** Every dotted path of a tree, objects included (`model`, `model.hidden`, ...). */
export function allPaths(tree: JsonObject, prefix = ''): string[] {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    paths.push(path);
    if (isPlainObject(value)) paths.push(...allPaths(value as JsonObject, path));
  }
  return paths;
}

/** The value at a dotted path, or undefined when some segment is missing. */
export function getPath(tree: JsonObject, path: string): JsonValue | undefined {
  let node: JsonValue | undefined = tree;
  for (const segment of path.split('.')) {
    if (!isPlainObject(node) || !Object.hasOwn(node, segment)) return undefined;
    node = (node as JsonObject)[segment];
  }
  return node;
}

/** Builds `{a: {b: value}}` from `['a', 'b']`. */
export function nestPath(segments: readonly string[], value: JsonValue): JsonObject {
  let out: JsonValue = value;
  for (let i = segments.length - 1; i >= 0; i--) {
    const level: JsonObject = {};
    setOwn(level, segments[i]!, out);
    out = level;
  }
  return out as JsonObject;
}

/**
 * The JSON type of a value as print_config compares them: an int and a
 * float are both `number` (Sacred only warns about that change, we do not).
 */
export function jsonTypeOf(value: JsonValue): 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  return typeof value as 'boolean' | 'number' | 'string';
}

/** Structural equality of two JSON values (key order ignored). */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]!));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keysA = Object.keys(a);
    if (keysA.length !== Object.keys(b).length) return false;
    return keysA.every((key) => key in b && jsonEqual((a as JsonObject)[key]!, (b as JsonObject)[key]!));
  }
  return false;
}
