/**
 * What a config may hold: JSON data under keys the command line can address.
 * Every refusal names the dotted path and says what to store instead, because
 * the config is written to config.json / MongoDB as is and must read back
 * identically for a rerun.
 */
import { ConfigError } from '../errors.js';
import { abbreviate, DEPTH_ADVICE, MAX_CONFIG_DEPTH } from './depth.js';
import { isPlainObject } from './tree.js';

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function where(path: string): string {
  return path ? `'${path}'` : 'the top level of the config';
}

/** Throws a ConfigError when `key` cannot be a config key; `parent` is the dotted path holding it. */
export function validateConfigKey(key: string, parent = ''): void {
  const path = join(parent, key);
  const at = parent ? ` (under '${parent}')` : '';
  if (key === '') {
    throw new ConfigError(
      path,
      `Config key ${JSON.stringify(key)}${at} is empty; the command line cannot address it. Give it a name.`,
    );
  }
  if (key === '__proto__') {
    // A plain `obj[key] = value` would set the prototype instead of a key.
    throw new ConfigError(
      path,
      `Config key '__proto__'${at} is refused: JavaScript reads it as the object's prototype, not as data. Rename it.`,
    );
  }
  if (key.includes('.')) {
    throw new ConfigError(
      path,
      `Config key '${key}'${at} contains '.', which \`with a.b=1\` reads as nesting. Rename it (e.g. '${key.replaceAll('.', '_')}') or nest the value as an object.`,
    );
  }
  if (key.includes('=')) {
    throw new ConfigError(
      path,
      `Config key '${key}'${at} contains '=', which \`with key=value\` uses to assign. Rename it (e.g. '${key.replaceAll('=', '_')}').`,
    );
  }
  if (key.startsWith('$')) {
    throw new ConfigError(
      path,
      `Config key '${key}'${at} starts with '$', which MongoDB reserves for operators. Rename it (e.g. '${key.slice(1) || 'value'}').`,
    );
  }
}

/**
 * Throws a ConfigError naming the path of the first entry that is not JSON
 * data, or whose key is refused.
 *
 * Nesting deeper than MAX_CONFIG_DEPTH is refused (see depth.ts); `path`
 * counts: a value checked at `a.b` may nest two levels less.
 *
 * Dates are refused rather than converted: a silent conversion would give
 * main a Date in one run and a string when the stored config is replayed,
 * so the user picks the form explicitly.
 */
export function validateConfigValue(value: unknown, path = ''): void {
  walk(value, path, [], path === '' ? 0 : path.split('.').length);
}

/** `depth` is how many keys `path` has (see depth.ts): refused past the limit, before recursing any deeper. */
function walk(value: unknown, path: string, ancestors: object[], depth: number): void {
  if (depth > MAX_CONFIG_DEPTH) {
    const message = `Config value at '${abbreviate(path)}' is nested ${depth} levels deep; ${DEPTH_ADVICE}`;
    throw new ConfigError(path, message);
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (Number.isNaN(value)) {
        throw new ConfigError(
          path,
          `Config value at ${where(path)} is NaN, which JSON cannot store. Store the number as a string or drop it.`,
        );
      }
      if (!Number.isFinite(value)) {
        throw new ConfigError(
          path,
          `Config value at ${where(path)} is ${value}, which JSON cannot store. Store the number as a string (e.g. '${value}') or drop it.`,
        );
      }
      return;
    case 'undefined':
      throw new ConfigError(
        path,
        `Config value at ${where(path)} is undefined, which JSON cannot store. Use null, or remove the key.`,
      );
    case 'function':
      throw new ConfigError(
        path,
        `Config value at ${where(path)} is a function; a config holds data only. Keep the function in your code and put only its parameters in the config.`,
      );
    case 'bigint':
      throw new ConfigError(
        path,
        `Config value at ${where(path)} is a BigInt, which JSON cannot store. Store it as a string (String(value)), or as a number if it is below 2^53.`,
      );
    case 'symbol':
      throw new ConfigError(
        path,
        `Config value at ${where(path)} is a symbol, which JSON cannot store. Store its description as a string.`,
      );
    default:
      break;
  }
  if (value === null) return;
  const object = value as object;
  if (ancestors.includes(object)) {
    const target = ancestors.length === 0 ? '' : pathOf(ancestors, object, path);
    throw new ConfigError(
      path,
      `Config value at ${where(path)} refers back to ${where(target)} (a cycle), which JSON cannot store. Store a copy without the back-reference.`,
    );
  }
  if (object instanceof Date) {
    throw new ConfigError(
      path,
      `Config value at ${where(path)} is a Date. Store date.toISOString() (a string) or date.getTime() (a number) instead.`,
    );
  }
  if (Array.isArray(object)) {
    ancestors.push(object);
    // A for loop (not forEach) so holes in sparse arrays are seen as undefined.
    for (let i = 0; i < object.length; i++) walk(object[i], join(path, String(i)), ancestors, depth + 1);
    ancestors.pop();
    return;
  }
  if (!isPlainObject(object)) {
    const kind = object.constructor?.name ?? 'object';
    throw new ConfigError(
      path,
      `Config value at ${where(path)} is a ${kind}, not plain data. Store a plain object or an array instead (e.g. Object.fromEntries(map) or [...set]).`,
    );
  }
  if (Object.getOwnPropertySymbols(object).length > 0) {
    throw new ConfigError(
      path,
      `Config value at ${where(path)} has symbol keys, which JSON cannot store. Use string keys.`,
    );
  }
  ancestors.push(object);
  for (const [key, item] of Object.entries(object)) {
    validateConfigKey(key, path);
    walk(item, join(path, key), ancestors, depth + 1);
  }
  ancestors.pop();
}

/** Dotted path of `target` among the chain of ancestors that ends at `path`. */
function pathOf(ancestors: object[], target: object, path: string): string {
  // Each ancestor adds exactly one segment to the path, so drop as many
  // trailing segments as there are ancestors after the target.
  const segments = path.split('.');
  const depth = ancestors.indexOf(target);
  const prefixLength = segments.length - (ancestors.length - depth);
  return segments.slice(0, Math.max(0, prefixLength)).join('.');
}
