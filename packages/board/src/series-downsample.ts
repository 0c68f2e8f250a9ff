/**
 * Downsampling of one metric series to the pixels a chart shows. A chart
 * W pixels wide cannot show more than W distinct x positions, so the server
 * keeps, per pixel-wide bucket of x, the first, smallest, largest and last
 * point (in x order): a spike or a dip of one step survives (unlike LTTB,
 * which may drop an outlier when its neighbours pull the triangle elsewhere),
 * and the line drawn through them covers exactly the pixels the full series
 * would (W&B's "full fidelity" mode does the same). At most 4 W points leave
 * the server, whatever the series' length.
 */

/** A series held as typed arrays: x is the step (or a time in ms), y the value (NaN for a non-number). */
export interface SeriesArrays {
  x: Float64Array;
  y: Float64Array;
  /** Whether x never decreases, so a range is found by binary search rather than a scan. */
  sorted: boolean;
}

export interface DownsampleRequest {
  /** Buckets: the chart's width in pixels. */
  width: number;
  /** Inclusive x range to keep (a zoom); the whole series when absent. */
  from?: number;
  to?: number;
}

export interface DownsampledSeries {
  x: number[];
  y: number[];
  /** Points of the series inside the range, before downsampling. */
  pointsInRange: number;
  /** The x extent of the whole series (what "zoom out" goes back to), null when empty. */
  extent: [number, number] | null;
}

export function downsample(series: SeriesArrays, request: DownsampleRequest): DownsampledSeries {
  const { x, y } = series;
  const n = x.length;
  const extent: [number, number] | null = n === 0 ? null : xExtent(series);
  let start = 0;
  let end = n;
  if (series.sorted) {
    if (request.from !== undefined) start = lowerBound(x, request.from);
    if (request.to !== undefined) end = upperBound(x, request.to);
  }
  const from = request.from ?? extent?.[0] ?? 0;
  const to = request.to ?? extent?.[1] ?? 0;
  const inRange = (i: number) => series.sorted || ((x[i] as number) >= from && (x[i] as number) <= to);
  const width = Math.max(1, Math.floor(request.width));
  const count = series.sorted ? Math.max(0, end - start) : countInRange(x, from, to);
  const out: DownsampledSeries = { x: [], y: [], pointsInRange: count, extent };
  if (count <= width * 4) {
    for (let i = start; i < end; i++) {
      if (!inRange(i)) continue;
      out.x.push(x[i] as number);
      out.y.push(y[i] as number);
    }
    return out;
  }
  const span = to - from || 1;
  // per bucket: index of first, last, min and max point (-1 = empty)
  const first = new Int32Array(width).fill(-1);
  const last = new Int32Array(width);
  const min = new Int32Array(width);
  const max = new Int32Array(width);
  for (let i = start; i < end; i++) {
    const xi = x[i] as number;
    if (!series.sorted && (xi < from || xi > to)) continue;
    const bucket = Math.min(width - 1, Math.floor(((xi - from) / span) * width));
    const yi = y[i] as number;
    if (first[bucket] === -1) {
      first[bucket] = i;
      last[bucket] = i;
      min[bucket] = i;
      max[bucket] = i;
      continue;
    }
    last[bucket] = i;
    // NaN never wins a comparison, so a NaN point is kept only as a bucket's first or last
    if (yi < (y[min[bucket] as number] as number) || Number.isNaN(y[min[bucket] as number] as number)) min[bucket] = i;
    if (yi > (y[max[bucket] as number] as number) || Number.isNaN(y[max[bucket] as number] as number)) max[bucket] = i;
  }
  for (let b = 0; b < width; b++) {
    if (first[b] === -1) continue;
    const picks = [first[b] as number, min[b] as number, max[b] as number, last[b] as number].sort((a, c) => a - c);
    let previous = -1;
    for (const i of picks) {
      if (i === previous) continue;
      previous = i;
      out.x.push(x[i] as number);
      out.y.push(y[i] as number);
    }
  }
  return out;
}

function xExtent(series: SeriesArrays): [number, number] {
  const { x } = series;
  if (series.sorted) return [x[0] as number, x[x.length - 1] as number];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of x) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function countInRange(x: Float64Array, from: number, to: number): number {
  let count = 0;
  for (const v of x) if (v >= from && v <= to) count++;
  return count;
}

/** First index whose x is >= value. */
function lowerBound(x: Float64Array, value: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((x[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose x is > value. */
function upperBound(x: Float64Array, value: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((x[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
