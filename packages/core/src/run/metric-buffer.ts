import { PointClock } from './point-clock.js';
import type { MetricSeries } from './run-record.js';

const INITIAL_CAPACITY = 1024;
/** Float64s per point, side by side: step, value, timestamp (at these offsets). */
const STRIDE = 3;
const STEP = 0;
const VALUE = 1;
const TIMESTAMP = 2;
/** Never equal to a metric name, so the first call looks its series up. */
const NO_NAME: unique symbol = Symbol('no metric yet');

/** Points of one metric not yet handed to observers. */
class PendingSeries {
  /**
   * One array for the three fields of a point, not one per field: an append
   * is one bounds check and one capacity test, and growth copies one array.
   */
  points = new Float64Array(INITIAL_CAPACITY * STRIDE);
  /** Points `points` has room for. */
  capacity = INITIAL_CAPACITY;
  count = 0;
  /** The step the next point gets when the caller gives none. */
  nextStep = 0;
  /** The value of the last point drained (kept at drain, not per log, so logging costs nothing more). */
  drainedLast: number | undefined = undefined;

  constructor(readonly name: string) {}

  grow(): void {
    // Doubling keeps growth amortised O(1); capacity is kept across flushes,
    // so a steady training loop stops allocating after its first heartbeat.
    const grown = new Float64Array(this.points.length * 2);
    grown.set(this.points);
    this.points = grown;
    this.capacity *= 2;
  }

  /**
   * One field of the pending points as an array. Allocated at its final size:
   * growing by push leaves about twice the array's size in discarded backing
   * stores, which at a million points a beat is tens of MB of old-space garbage.
   */
  field(offset: number): number[] {
    const out = new Array<number>(this.count);
    const points = this.points;
    for (let i = 0, at = offset; i < out.length; i++, at += STRIDE) out[i] = points[at]!;
    return out;
  }
}

/**
 * The hot path of `run.logScalar`: an append into a typed array, nothing else.
 * Points wait here until the next heartbeat drains them, so observers see a
 * batch per metric per beat instead of one call per point, and memory stays
 * bounded by what one heartbeat interval produces.
 */
export class MetricBuffer {
  private readonly series = new Map<string, PendingSeries>();
  /** Metrics with points since the last drain, so a drain touches only those. */
  private readonly dirty: PendingSeries[] = [];
  /** Training loops log the same name many times in a row: skip the map lookup then. */
  private lastName: string | typeof NO_NAME = NO_NAME;
  private lastSeries: PendingSeries | undefined;
  private readonly clock = new PointClock();

  /** Producers that hold points back (the tfjs callback's held batch values): asked for them before each drain. */
  private readonly sources = new Set<() => void>();

  /** `timestamp`: epoch ms of the value (default: now). */
  log(name: string, value: number, step?: number, timestamp?: number): void {
    const pending = name === this.lastName ? this.lastSeries! : this.seriesNamed(name);
    const at = pending.count;
    if (at === 0) this.markDirty(pending);
    else if (at === pending.capacity) pending.grow();
    const actualStep = step ?? pending.nextStep;
    const points = pending.points;
    const base = at * STRIDE;
    points[base + STEP] = actualStep;
    points[base + VALUE] = value;
    points[base + TIMESTAMP] = timestamp === undefined ? this.clock.now() : Math.floor(timestamp);
    pending.count = at + 1;
    pending.nextStep = actualStep + 1;
  }

  private seriesNamed(name: string): PendingSeries {
    let pending = this.series.get(name);
    if (pending === undefined) {
      pending = new PendingSeries(name);
      this.series.set(name, pending);
    }
    this.lastName = name;
    this.lastSeries = pending;
    return pending;
  }

  private markDirty(pending: PendingSeries): void {
    // The first point after a drain: a cheap moment to follow wall-clock changes.
    if (this.dirty.length === 0) this.clock.sync();
    this.dirty.push(pending);
  }

  /** The last value logged for `name`, drained or not; undefined if it never was. */
  lastValue(name: string): number | undefined {
    const pending = this.series.get(name);
    if (pending === undefined) return undefined;
    return pending.count > 0 ? pending.points[(pending.count - 1) * STRIDE + VALUE] : pending.drainedLast;
  }

  /** Register a producer of held-back points; returns its removal. */
  addSource(pull: () => void): () => void {
    this.sources.add(pull);
    return () => {
      this.sources.delete(pull);
    };
  }

  /**
   * Have every source log what it holds. A source that fails (its backend
   * gone) loses what it held; the beat, or the end of the run, goes on.
   */
  pullSources(): void {
    for (const pull of this.sources) {
      try {
        pull();
      } catch {
        // The source's own next call, in main, meets the same failure and reports it there.
      }
    }
  }

  /** True when there is something to flush. */
  get hasPending(): boolean {
    return this.dirty.length > 0;
  }

  /** Hand over every point logged since the last drain and forget them. */
  drain(): MetricSeries[] {
    const out: MetricSeries[] = [];
    for (const pending of this.dirty) {
      out.push({
        name: pending.name,
        steps: pending.field(STEP),
        values: pending.field(VALUE),
        timestamps: pending.field(TIMESTAMP),
      });
      pending.drainedLast = pending.points[(pending.count - 1) * STRIDE + VALUE];
      pending.count = 0;
    }
    this.dirty.length = 0;
    return out;
  }
}
