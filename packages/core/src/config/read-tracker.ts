/**
 * Sacred lets an added config key through when some captured function
 * uses it. Config functions are ours to watch: this records which dotted
 * paths a function read from the config it was given, so
 * `.config((c) => ({ warmup: c.warmup ?? 0 }))`-style reads of a key that
 * only the command line sets count as a use.
 */
import { isPlainObject } from './tree.js';

export function trackReads<T extends object>(tree: T, used: Set<string>, prefix = ''): T {
  return new Proxy(tree, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof property !== 'string') return value;
      const path = prefix ? `${prefix}.${property}` : property;
      used.add(path);
      return isPlainObject(value) ? trackReads(value, used, path) : value;
    },
    has(object, property) {
      if (typeof property === 'string') used.add(prefix ? `${prefix}.${property}` : property);
      return Reflect.has(object, property);
    },
  });
}
