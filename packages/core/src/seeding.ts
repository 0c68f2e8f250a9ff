import { AsyncLocalStorage } from 'node:async_hooks';
import { randomInt } from 'node:crypto';
import seedrandom from 'seedrandom';
import { UsageError } from './errors.js';

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
 * seeded stream: the Run starts that work inside `runUnseeded`, and every
 * `Math.random` call made from that async context answers from the original
 * generator instead.
 */

/** Sacred's seed range: integers in [1, 1e9]. */
const SEED_MAX = 1e9;

/** A fresh root seed from node:crypto (never Math.random: it may be a user's seeded stream). */
export function newRootSeed(): number {
  return randomInt(1, SEED_MAX + 1);
}

function checkSeed(seed: number, what: string): void {
  if (!Number.isSafeInteger(seed)) {
    throw new UsageError(`${what} must be an integer, got ${String(seed)}. Pass e.g. \`with seed=12345\`.`, { code: 'RITUAL_SEED' });
  }
}

// Marks async contexts whose Math.random calls must bypass the seeded stream.
const unseededContext = new AsyncLocalStorage<true>();

/**
 * Run `fn` (and every timer, promise continuation and event handler it
 * starts) with `Math.random` answering from the original, unseeded generator,
 * even while a seeded generator is installed. Use it for library work that
 * runs alongside main: heartbeats, observer calls, driver connections.
 */
export function runUnseeded<T>(fn: () => T): T {
  return unseededContext.run(true, fn);
}

export class Seeding {
  readonly rootSeed: number;
  // Derived seeds come from their own generator so they are reproducible per
  // call order whatever main draws from Math.random in between.
  private readonly deriveStream: seedrandom.PRNG;
  private installed = false;

  constructor(rootSeed: number) {
    checkSeed(rootSeed, 'The seed');
    this.rootSeed = rootSeed;
    this.deriveStream = seedrandom(`ritual-derived-seeds:${rootSeed}`);
  }

  /**
   * Replace `Math.random` with a generator seeded from the root seed; returns
   * `restore()`, which puts back whatever `Math.random` was before (so nested
   * installs unwind in order). Call it right before main and restore after.
   */
  installGlobalRandom(): () => void {
    if (this.installed) {
      throw new UsageError('The seeded Math.random is already installed for this run; call restore() before installing it again.', {
        code: 'RITUAL_SEED',
      });
    }
    const previous = Math.random;
    const seeded = seedrandom(String(this.rootSeed));
    const replacement = function random(): number {
      return unseededContext.getStore() === true ? previous() : seeded();
    };
    Math.random = replacement;
    this.installed = true;
    let restored = false;
    return () => {
      if (restored) return;
      restored = true;
      this.installed = false;
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
