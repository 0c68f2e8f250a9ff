import { AsyncLocalStorage } from 'node:async_hooks';
import { randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import type seedrandomPackage from 'seedrandom';
import { UsageError } from './errors.js';

// seedrandom's ARC4 generator (the package's default export) from its own
// file, through require: the package entry also loads six algorithms ritual
// never uses, and importing CommonJS from ESM lexes it first (start-up, issue
// 7). Loaded with this module, not on first use: loading it draws once from
// Math.random, which must never be a run's seeded stream.
const seedrandom = createRequire(import.meta.url)('seedrandom/seedrandom.js') as typeof seedrandomPackage;

/**
 * Seeding with Sacred's semantics (`_seed` / `_rnd`):
 * - the root seed drives the process-wide stream: `Math.random` is replaced by
 *   a seedrandom generator seeded with `String(rootSeed)` while main runs.
 *   TensorFlow.js has no global seed; its random ops, initializers, dropout and
 *   `model.fit` shuffle all draw from `Math.random`, so this seeds tfjs on
 *   every backend;
 * - captured functions and commands get derived seeds from a second,
 *   independent generator, so asking for a derived seed never shifts the
 *   global stream, and the n-th derived seed of a run is always the same.
 *
 * The library's own work (heartbeat timers, observers, the MongoDB driver,
 * whose bson and server selection call Math.random) must not draw from the
 * seeded stream. The seeded generator therefore answers only in the async
 * context that installed it: `installGlobalRandom()` enters a context (an
 * AsyncLocalStorage token) that main and everything main starts inherit,
 * while timers, sockets and promises created before the install (the
 * heartbeat, the observers' connections) keep the original generator without
 * any cooperation. Library work started from main's context (an artifact
 * upload) is moved out with `runUnseeded`.
 */

/** Sacred's seed range: integers in [1, 1e9]. */
const SEED_MAX = 1e9;

/** A fresh root seed from node:crypto (never Math.random: it may be a user's seeded stream). */
export function newRootSeed(): number {
  return randomInt(1, SEED_MAX + 1);
}

function checkSeed(seed: number, what: string): void {
  if (!Number.isSafeInteger(seed)) {
    throw new UsageError(`${what} must be an integer, got ${String(seed)}. Pass e.g. \`with seed=12345\`.`, {
      code: 'RITUAL_SEED',
    });
  }
}

// The async context a Math.random call is made from: the token of the Seeding
// whose stream it may draw from, UNSEEDED, or nothing (outside any run).
const seedContext = new AsyncLocalStorage<symbol | undefined>();
const UNSEEDED = Symbol('ritual.unseeded');

/**
 * Run `fn` (and every timer, promise continuation and event handler it
 * starts) with `Math.random` answering from the original, unseeded generator,
 * even while a seeded generator is installed. Use it for library work started
 * from main's context: observer calls for artifacts and resources, lazily
 * opened driver connections.
 */
export function runUnseeded<T>(fn: () => T): T {
  return seedContext.run(UNSEEDED, fn);
}

export class Seeding {
  readonly rootSeed: number;
  // Derived seeds come from their own generator so they are reproducible per
  // call order whatever main draws from Math.random in between.
  private readonly deriveStream: seedrandomPackage.PRNG;
  private installed = false;

  constructor(rootSeed: number) {
    checkSeed(rootSeed, 'The seed');
    this.rootSeed = rootSeed;
    this.deriveStream = seedrandom(`ritual-derived-seeds:${rootSeed}`);
  }

  /**
   * Replace `Math.random` with a generator seeded from the root seed, for the
   * calling async context and what it starts; returns `restore()`, which puts
   * back whatever `Math.random` was before (so nested installs unwind in
   * order). Call it right before main, after starting the heartbeat and the
   * observers, and restore after.
   */
  installGlobalRandom(): () => void {
    if (this.installed) {
      throw new UsageError(
        'The seeded Math.random is already installed for this run; call restore() before installing it again.',
        {
          code: 'RITUAL_SEED',
        },
      );
    }
    const previous = Math.random;
    const seeded = seedrandom(String(this.rootSeed));
    const token = Symbol(`ritual.seed.${this.rootSeed}`);
    const replacement = function random(): number {
      return seedContext.getStore() === token ? seeded() : previous();
    };
    // From here on, this synchronous execution and every async operation it
    // starts (main, and all main awaits or schedules) carry the token; work
    // created earlier (heartbeat timers, observer sockets) does not.
    const outerContext = seedContext.getStore();
    seedContext.enterWith(token);
    Math.random = replacement;
    this.installed = true;
    let restored = false;
    return () => {
      if (restored) return;
      restored = true;
      this.installed = false;
      // Back to the context (and, for nested installs, the generator) that was current before.
      seedContext.enterWith(outerContext);
      // Only undo our own install; if something replaced Math.random after us,
      // leave theirs in place rather than silently discarding it.
      if (Math.random === replacement) Math.random = previous;
    };
  }

  /** The next derived seed in [1, 1e9]; the n-th call of a run always returns the same value. */
  deriveSeed(): number {
    return 1 + Math.floor(this.deriveStream() * SEED_MAX);
  }

  /**
   * An independent generator of floats in [0, 1): seeded with `seed` when
   * given, else with the next derived seed. For `tf.data` shuffles, which seed
   * from the clock unless told otherwise, pass a derived seed instead:
   * `ds.shuffle(bufferSize, String(seeding.deriveSeed()))`.
   */
  createRng(seed?: number): () => number {
    if (seed !== undefined) checkSeed(seed, 'The generator seed');
    const prng = seedrandom(String(seed ?? this.deriveSeed()));
    return () => prng();
  }
}

/**
 * A generator of floats in [0, 1) seeded with `seedText`, for the library's own repeatable draws (a
 * sweep's samples): it never reads or replaces Math.random.
 */
export function seededStream(seedText: string): () => number {
  const prng = seedrandom(seedText);
  return () => prng();
}
