/**
 * Configs are nested objects; people talk about them with dotted paths
 * (`model.hidden`), as the Sacred command line does. These helpers move
 * between the two views for `compare`, `show` and `reproduce` (a value at a
 * path of a run: valueAtPath in @ritual/observers).
 */

/**
 * Every leaf of a nested object under its dotted path. Arrays are leaves
 * (a list of layer sizes is one setting), and so is an empty object.
 */
export function flattenPaths(value: unknown, prefix = '', into = new Map<string, unknown>()): Map<string, unknown> {
  if (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    Object.keys(value).length > 0
  ) {
    for (const [key, child] of Object.entries(value)) flattenPaths(child, prefix ? `${prefix}.${key}` : key, into);
  } else if (prefix) {
    into.set(prefix, value);
  }
  return into;
}

/** Deep equality of JSON values, independent of key order. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every(
    (k) => Object.hasOwn(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
