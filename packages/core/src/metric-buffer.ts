import type { MetricSeries } from './run-record.js';

const INITIAL_CAPACITY = 1024;

/** Points of one metric not yet handed to observers, in preallocated columns. */
class PendingSeries {
  steps = new Float64Array(INITIAL_CAPACITY);
  values = new Float64Array(INITIAL_CAPACITY);
  timestamps = new Float64Array(INITIAL_CAPACITY);
  count = 0;
  /** The step the next point gets when the caller gives none. */
  nextStep = 0;

  grow(): void {
    // Doubling keeps growth amortised O(1); capacity is kept across flushes,
    // so a steady training loop stops allocating after its first heartbeat.
    const capacity = this.steps.length * 2;
    const grown = (old: Float64Array) => {
      const next = new Float64Array(capacity);
      next.set(old);
      return next;
    };
    this.steps = grown(this.steps);
    this.values = grown(this.values);
    this.timestamps = grown(this.timestamps);
  }
}

/**
 * The hot path of `run.logScalar`: an append into typed arrays, nothing else.
 * Points wait here until the next heartbeat drains them, so observers see a
 * batch per metric per beat instead of one call per point, and memory stays
 * bounded by what one heartbeat interval produces.
 */
export class MetricBuffer {
  private readonly series = new Map<string, PendingSeries>();
  /** Metrics with points since the last drain, so a drain touches only those. */
  private readonly dirty: PendingSeries[] = [];
  private readonly dirtyNames: string[] = [];

  log(name: string, value: number, step?: number): void {
    let pending = this.series.get(name);
    if (pending === undefined) {
      pending = new PendingSeries();
      this.series.set(name, pending);
    }
    if (pending.count === 0) {
      this.dirty.push(pending);
      this.dirtyNames.push(name);
    }
    if (pending.count === pending.steps.length) pending.grow();
    const at = pending.count++;
    const actualStep = step ?? pending.nextStep;
    pending.steps[at] = actualStep;
    pending.values[at] = value;
    pending.timestamps[at] = Date.now();
    pending.nextStep = actualStep + 1;
  }

  /** True when there is something to flush. */
  get hasPending(): boolean {
    return this.dirty.length > 0;
  }

  /** Hand over every point logged since the last drain and forget them. */
  drain(): MetricSeries[] {
    const out: MetricSeries[] = [];
    for (let i = 0; i < this.dirty.length; i++) {
      const pending = this.dirty[i]!;
      const n = pending.count;
      out.push({
        name: this.dirtyNames[i]!,
        steps: Array.from(pending.steps.subarray(0, n)),
        values: Array.from(pending.values.subarray(0, n)),
        timestamps: Array.from(pending.timestamps.subarray(0, n)),
      });
      pending.count = 0;
    }
    this.dirty.length = 0;
    this.dirtyNames.length = 0;
    return out;
  }
}
