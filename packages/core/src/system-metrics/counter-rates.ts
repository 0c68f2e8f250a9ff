/**
 * Per-second rates of kernel counters (bytes read, bytes sent) between two
 * readings. The first reading only sets the baseline; a counter that went
 * down (a device or interface reset, a disk unmounted) reports 0 for that
 * interval rather than a negative rate.
 */
export class CounterRates {
  private last: { key: string; counters: readonly number[]; atMs: number } | undefined;

  /**
   * `key` names what is counted (an interface): when it changes, the counters
   * are not comparable and this reading becomes the new baseline.
   */
  next(counters: readonly number[], key = '', atMs = performance.now()): number[] | null {
    const last = this.last;
    this.last = { key, counters, atMs };
    if (last === undefined || last.key !== key || last.counters.length !== counters.length) return null;
    const seconds = (atMs - last.atMs) / 1000;
    if (!(seconds > 0)) return null;
    return counters.map((value, i) => Math.max(0, value - last.counters[i]!) / seconds);
  }
}
