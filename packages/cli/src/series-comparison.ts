/**
 * Where two metric series part: steps and values point by point, bitwise
 * unless a tolerance is given. The series are walked side by side a chunk at
 * a time, as the stores stream them, so comparing two runs of a million
 * points per metric holds two chunks, never two series; a walk that only
 * needs the first divergence stops reading there.
 */
import type { MetricSeries } from '@ritual/core';
import { sameNumber, type Tolerance } from './tolerance.js';

/** The first point where two series part, or how their lengths differ. */
export interface SeriesDivergence {
  /** Index of the first differing point (0-based). */
  index: number;
  /** The step there in each run (null where that run has no point at this index). */
  stepA: number | null;
  stepB: number | null;
  valueA: number | null;
  valueB: number | null;
}

export interface MetricComparison {
  name: string;
  /**
   * Points in each run (0 when the run lacks the metric). Null when the
   * comparison stopped at the first divergence (`stopAtDivergence`) before
   * that run's series was read to its end.
   */
  pointsA: number | null;
  pointsB: number | null;
  /** 'missing' when one run has no such metric. */
  status: 'same' | 'diverges' | 'missing';
  divergence?: SeriesDivergence;
}

/** Two whole series in memory (a metric missing from a run is undefined). */
export function compareSeries(
  name: string,
  a: MetricSeries | undefined,
  b: MetricSeries | undefined,
  tolerance: Tolerance,
): MetricComparison {
  const pointsA = a?.values.length ?? 0;
  const pointsB = b?.values.length ?? 0;
  if (a === undefined || b === undefined) return { name, pointsA, pointsB, status: 'missing' };
  const shared = Math.min(pointsA, pointsB);
  const index = firstDifference(a, 0, b, 0, shared, tolerance);
  if (index >= 0) return { name, pointsA, pointsB, status: 'diverges', divergence: pointAt(a, index, b, index, index) };
  if (pointsA !== pointsB) {
    return { name, pointsA, pointsB, status: 'diverges', divergence: pointAt(a, shared, b, shared, shared) };
  }
  return { name, pointsA, pointsB, status: 'same' };
}

export interface StreamComparisonOptions {
  /**
   * Stop reading both series at their first divergence (a verdict needs no
   * more); the counts of a diverging or missing metric are then null where
   * not read to the end. Default false: both series are read to the end and
   * counted.
   */
  stopAtDivergence?: boolean;
}

/**
 * Two series as chunk streams (undefined: the run lacks the metric). Reads
 * one chunk of each at a time; every stream that is started is closed.
 */
export async function compareSeriesStreams(
  name: string,
  a: AsyncIterable<MetricSeries> | undefined,
  b: AsyncIterable<MetricSeries> | undefined,
  tolerance: Tolerance,
  options: StreamComparisonOptions = {},
): Promise<MetricComparison> {
  const stop = options.stopAtDivergence ?? false;
  if (a === undefined || b === undefined) {
    const count = async (series: AsyncIterable<MetricSeries> | undefined): Promise<number | null> =>
      series === undefined ? 0 : stop ? null : new SeriesCursor(series).countRest();
    return { name, pointsA: await count(a), pointsB: await count(b), status: 'missing' };
  }
  const cursorA = new SeriesCursor(a);
  const cursorB = new SeriesCursor(b);
  try {
    let divergence: SeriesDivergence | undefined;
    for (;;) {
      const [moreA, moreB] = await Promise.all([cursorA.ready(), cursorB.ready()]);
      if (!moreA || !moreB) {
        if (moreA || moreB) divergence = cursorA.divergenceWith(cursorB, 0);
        break;
      }
      const n = Math.min(cursorA.available, cursorB.available);
      const at = firstDifference(cursorA.chunk!, cursorA.at, cursorB.chunk!, cursorB.at, n, tolerance);
      if (at >= 0) {
        divergence = cursorA.divergenceWith(cursorB, at);
        break;
      }
      cursorA.skip(n);
      cursorB.skip(n);
    }
    if (divergence === undefined) return { name, pointsA: cursorA.read, pointsB: cursorB.read, status: 'same' };
    const [pointsA, pointsB] = stop ? [null, null] : await Promise.all([cursorA.countRest(), cursorB.countRest()]);
    // A series that ended is counted even when the walk stops: its end is where the two part.
    return {
      name,
      pointsA: cursorA.ended ? cursorA.read : pointsA,
      pointsB: cursorB.ended ? cursorB.read : pointsB,
      status: 'diverges',
      divergence,
    };
  } finally {
    await Promise.all([cursorA.close(), cursorB.close()]);
  }
}

/** Index (from 0, relative to the starts) of the first of `n` points that differ, or -1. */
function firstDifference(
  a: MetricSeries,
  fromA: number,
  b: MetricSeries,
  fromB: number,
  n: number,
  tolerance: Tolerance,
): number {
  const stepsA = a.steps;
  const stepsB = b.steps;
  const valuesA = a.values;
  const valuesB = b.values;
  for (let i = 0; i < n; i++) {
    if (stepsA[fromA + i] !== stepsB[fromB + i] || !sameNumber(valuesA[fromA + i]!, valuesB[fromB + i]!, tolerance)) {
      return i;
    }
  }
  return -1;
}

function pointAt(a: MetricSeries, atA: number, b: MetricSeries, atB: number, index: number): SeriesDivergence {
  return {
    index,
    stepA: a.steps[atA] ?? null,
    stepB: b.steps[atB] ?? null,
    valueA: a.values[atA] ?? null,
    valueB: b.values[atB] ?? null,
  };
}

/** A position in a series read chunk by chunk. */
class SeriesCursor {
  private readonly iterator: AsyncIterator<MetricSeries>;
  chunk: MetricSeries | null = null;
  /** Position in the current chunk. */
  at = 0;
  /** Points of the series before the current position. */
  read = 0;
  ended = false;
  private started = false;

  constructor(series: AsyncIterable<MetricSeries>) {
    this.iterator = series[Symbol.asyncIterator]();
  }

  /** Points left in the current chunk. */
  get available(): number {
    return this.chunk === null ? 0 : this.chunk.steps.length - this.at;
  }

  /** Load chunks until a point is at hand; false at the end of the series. */
  async ready(): Promise<boolean> {
    while (!this.ended && this.available === 0) {
      this.started = true;
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        this.chunk = null;
      } else {
        this.chunk = next.value;
        this.at = 0;
      }
    }
    return !this.ended;
  }

  skip(n: number): void {
    this.at += n;
    this.read += n;
  }

  /** Where this series and `other` part, `offset` points past both positions. */
  divergenceWith(other: SeriesCursor, offset: number): SeriesDivergence {
    const empty: MetricSeries = { name: '', steps: [], values: [], timestamps: [] };
    return pointAt(this.chunk ?? empty, this.at + offset, other.chunk ?? empty, other.at + offset, this.read + offset);
  }

  /** Every point of the series, reading (without keeping) the rest. */
  async countRest(): Promise<number> {
    let total = this.read + this.available;
    this.chunk = null;
    while (!this.ended) {
      this.started = true;
      const next = await this.iterator.next();
      if (next.done) this.ended = true;
      else total += next.value.steps.length;
    }
    this.read = total;
    return total;
  }

  /** Let the store release what it holds (a file handle, a cursor) when the walk stopped early. */
  async close(): Promise<void> {
    if (this.started && !this.ended) await this.iterator.return?.();
  }
}
