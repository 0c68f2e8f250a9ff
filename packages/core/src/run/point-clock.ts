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
   * Re-learn the offset. `Date.now()` is read between two monotonic reads:
   * the process can be descheduled between any two reads (for many ms on a
   * loaded machine), so only the tightest of a few brackets is trusted; its
   * lower bound, `Date.now() - (monotonic read after it)`, never makes the
   * clock run ahead of `Date.now()`. The true offset lies within the bracket
   * plus 1 ms (`Date.now()` is floored), so a candidate that far below the
   * current offset is noise and the larger, better estimate is kept; a jump
   * beyond it is the wall clock being set (NTP step, a user changing it) and
   * is followed, as Date.now() would.
   */
  sync(): void {
    let width = Infinity;
    let candidate = Number.NaN;
    for (let i = 0; i < SYNC_TRIES && width > TIGHT_BRACKET_MS; i++) {
      const before = monotonicMs();
      const wall = Date.now();
      const after = monotonicMs();
      if (after - before < width) {
        width = after - before;
        candidate = wall - after;
      }
    }
    const drift = candidate - this.offset; // NaN on the first sync
    if (!(drift >= -1 - width && drift <= 0)) this.offset = candidate;
  }
}

/** Reads of Date.now() bracketed per sync at most; nearly always the first is tight. */
const SYNC_TRIES = 8;
/** A bracket this narrow needs no retry: far below Date.now()'s 1 ms resolution. */
const TIGHT_BRACKET_MS = 0.05;

function monotonicMs(): number {
  // Indexing (not destructuring) keeps the array removable by escape analysis.
  const time = process.hrtime();
  return time[0] * 1e3 + time[1] / 1e6;
}
