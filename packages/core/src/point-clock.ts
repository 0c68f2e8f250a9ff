/**
 * The wall-clock time stamped on every metric point, in epoch milliseconds,
 * read once per point without leaving garbage behind.
 *
 * `Date.now()` in optimised code is a call into the V8 runtime that returns a
 * freshly allocated heap number (epoch milliseconds exceed the small-integer
 * range): 16 bytes of garbage for every `logScalar`. `process.hrtime()` writes
 * into a buffer Node shares with JavaScript and returns a two-element array
 * that escape analysis removes once the call is inlined, so reading it
 * allocates nothing, and it costs the same single clock read. It is the
 * monotonic clock; the offset to the wall clock is learned from `Date.now()`
 * and re-checked by `sync()`, which the metric buffer calls once per beat.
 *
 * Every point still reads the clock: a slow loop gets exact times, never one
 * reused from an earlier call.
 */
export class PointClock {
  /** Wall clock minus monotonic clock, in ms; NaN until the first sync. */
  private offset = Number.NaN;

  constructor() {
    this.sync();
  }

  /** Epoch milliseconds, whole like `Date.now()`'s. */
  now(): number {
    return Math.floor(this.offset + monotonicMs());
  }

  /**
   * Re-learn the offset. `Date.now()` is floored to the millisecond, so one
   * reading places the true offset within [candidate, candidate + 1): the
   * largest reading seen is the best estimate, and taking it never moves
   * time backwards. A jump beyond that noise is the wall clock being set
   * (NTP step, a user changing it) and is followed, as Date.now() would.
   */
  sync(): void {
    const candidate = Date.now() - monotonicMs();
    const drift = candidate - this.offset; // NaN on the first sync
    if (!(drift >= -1 && drift <= 0)) this.offset = candidate;
  }
}

function monotonicMs(): number {
  // Indexing (not destructuring) keeps the array removable by escape analysis.
  const time = process.hrtime();
  return time[0] * 1e3 + time[1] / 1e6;
}
