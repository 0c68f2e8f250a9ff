/**
 * The config main receives is a read-only view: a run's stored config must
 * be the config the code actually used, so writing to it is a bug we report
 * loudly (Object.freeze would fail silently in sloppy-mode user code and
 * say nothing useful in strict mode).
 */
import { ConfigError } from '../errors.js';

const MESSAGE =
  'config is read-only inside a run; change it with `with key=value` on the command line or configUpdates in ex.run()';

// One proxy per underlying object, so `config.model === config.model` holds.
const views = new WeakMap<object, object>();

function refuse(path: string, property: string | symbol): never {
  const key = typeof property === 'symbol' ? property.toString() : property;
  throw new ConfigError(
    path ? `${path}.${key}` : key,
    `${MESSAGE} (tried to change '${path ? `${path}.${key}` : key}')`,
  );
}

function view<T extends object>(target: T, path: string): T {
  const existing = views.get(target);
  if (existing) return existing as T;
  const proxy = new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (value !== null && typeof value === 'object' && typeof property === 'string') {
        // A proxy must return the exact value of a frozen property (proxy
        // invariant); such an object is already read-only underneath.
        const own = Reflect.getOwnPropertyDescriptor(object, property);
        if (own && !own.configurable && !own.writable) return value;
        return view(value, path ? `${path}.${property}` : property);
      }
      return value;
    },
    set(_object, property) {
      return refuse(path, property);
    },
    deleteProperty(_object, property) {
      return refuse(path, property);
    },
    defineProperty(_object, property) {
      return refuse(path, property);
    },
    setPrototypeOf() {
      return refuse(path, '__proto__');
    },
    preventExtensions() {
      // Object.freeze(config) is harmless in intent but would lock the
      // underlying object the run still stores; refuse it like a write.
      return refuse(path, '(freeze)');
    },
  });
  views.set(target, proxy);
  return proxy;
}

/** A deep read-only view of `config`; any write or delete throws a ConfigError. */
export function freezeConfig<T>(config: T): T {
  if (config === null || typeof config !== 'object') return config;
  return view(config as T & object, '');
}
