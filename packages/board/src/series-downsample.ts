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
  /** Where y is smallest and largest in each block of BLOCK points (see `indexBlocks`): long buckets skip whole blocks. */
  blocks?: BlockIndex;
}

/** Points per block of the min/max index: a bucket scans at most two partial blocks point by point. */
export const BLOCK = 256;

export interface BlockIndex {
  /** Per block, the index of its smallest and of its largest value (NaN never chosen over a number). */
  minAt: Int32Array;
  maxAt: Int32Array;
}

/**
 * One pass over a series kept in memory: the min and max of every block of BLOCK points. A chart of 10M
 * points at 1,000 px then reads ~40 block entries plus two partial blocks per pixel column instead of
 * 10,000 points, and a zoom uses the same index.
 */
export function indexBlocks(y: Float64Array): BlockIndex {
  const count = Math.ceil(y.length / BLOCK);
  const minAt = new Int32Array(count);
  const maxAt = new Int32Array(count);
  for (let b = 0; b < count; b++) {
    const start = b * BLOCK;
    const end = Math.min(y.length, start + BLOCK);
    const [low, high] = extremes(y, start, end);
    minAt[b] = low;
    maxAt[b] = high;
  }
  return { minAt, maxAt };
}

/** Indexes of the smallest and largest y in [start, end); a NaN is kept only when nothing else is there. */
function extremes(y: Float64Array, start: number, end: number): [number, number] {
  let minI = start;
  let maxI = start;
  let minV = y[start] as number;
  let maxV = minV;
  for (let j = start + 1; j < end; j++) {
    const v = y[j] as number;
    if (v < minV || (Number.isNaN(minV) && !Number.isNaN(v))) {
      minV = v;
      minI = j;
    }
    if (v > maxV || (Number.isNaN(maxV) && !Number.isNaN(v))) {
      maxV = v;
      maxI = j;
    }
  }
  return [minI, maxI];
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
  if (series.sorted) bucketSorted(series, start, end, from, span, width, out);
  else bucketScan(series, from, to, span, width, out);
  return out;
}

/**
 * x never decreases, so each bucket is one contiguous slice, found by binary search: the inner loop only
 * compares values (a few ns a point; 10M points in tens of ms).
 */
function bucketSorted(
  series: SeriesArrays,
  start: number,
  end: number,
  from: number,
  span: number,
  width: number,
  out: DownsampledSeries,
): void {
  const { x, y } = series;
  let i = start;
  for (let b = 0; b < width && i < end; b++) {
    const bucketEnd =
      b === width - 1 ? end : Math.min(end, Math.max(i, lowerBound(x, from + ((b + 1) * span) / width)));
    if (bucketEnd === i) continue;
    const [minI, maxI] = bucketExtremes(y, series.blocks, i, bucketEnd);
    pushPicks(series, [i, minI, maxI, bucketEnd - 1], out);
    i = bucketEnd;
  }
}

/** The extremes of y over [start, end): whole blocks from the index, the partial blocks at either end point by point. */
function bucketExtremes(y: Float64Array, blocks: BlockIndex | undefined, start: number, end: number): [number, number] {
  const firstWhole = Math.ceil(start / BLOCK);
  const endWhole = Math.floor(end / BLOCK);
  if (blocks === undefined || endWhole - firstWhole < 2) return extremes(y, start, end);
  let [minI, maxI] = extremes(y, start, firstWhole * BLOCK === start ? start + 1 : firstWhole * BLOCK);
  const better = (candidate: number, current: number, lower: boolean) => {
    const c = y[candidate] as number;
    const v = y[current] as number;
    return lower ? c < v || (Number.isNaN(v) && !Number.isNaN(c)) : c > v || (Number.isNaN(v) && !Number.isNaN(c));
  };
  for (let b = firstWhole; b < endWhole; b++) {
    if (better(blocks.minAt[b] as number, minI, true)) minI = blocks.minAt[b] as number;
    if (better(blocks.maxAt[b] as number, maxI, false)) maxI = blocks.maxAt[b] as number;
  }
  if (endWhole * BLOCK < end) {
    const [tailMin, tailMax] = extremes(y, endWhole * BLOCK, end);
    if (better(tailMin, minI, true)) minI = tailMin;
    if (better(tailMax, maxI, false)) maxI = tailMax;
  }
  return [minI, maxI];
}

/** x goes back somewhere (a resumed run): every point is placed in its bucket by its own x. */
function bucketScan(
  series: SeriesArrays,
  from: number,
  to: number,
  span: number,
  width: number,
  out: DownsampledSeries,
) {
  const { x, y } = series;
  // per bucket: index of first, last, min and max point (-1 = empty)
  const first = new Int32Array(width).fill(-1);
  const last = new Int32Array(width);
  const min = new Int32Array(width);
  const max = new Int32Array(width);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] as number;
    if (xi < from || xi > to) continue;
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
    const low = y[min[bucket] as number] as number;
    const high = y[max[bucket] as number] as number;
    if (yi < low || (Number.isNaN(low) && !Number.isNaN(yi))) min[bucket] = i;
    if (yi > high || (Number.isNaN(high) && !Number.isNaN(yi))) max[bucket] = i;
  }
  for (let b = 0; b < width; b++) {
    if (first[b] === -1) continue;
    pushPicks(series, [first[b] as number, min[b] as number, max[b] as number, last[b] as number], out);
  }
}

/** A bucket's first, min, max and last point, in index order, each once. */
function pushPicks(series: SeriesArrays, picks: number[], out: DownsampledSeries): void {
  picks.sort((a, c) => a - c);
  let previous = -1;
  for (const i of picks) {
    if (i === previous) continue;
    previous = i;
    out.x.push(series.x[i] as number);
    out.y.push(series.y[i] as number);
  }
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
