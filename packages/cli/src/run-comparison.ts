/**
 * Whether two stored runs give the same numbers: result, every metric series
 * (steps and values, bitwise unless a tolerance is given) and every artifact
 * (by md5). `ritual reproduce` prints its verdict from this, and `ritual
 * compare` its "series" part; scripts can call it on any pair of runs.
 */
import type { MetricSeries, RunId } from '@ritual/core';
import type { RunStore, StoredRun } from '@ritual/observers';
import { artifactDigests } from './artifact-digest.js';
import { sameNumber, type Tolerance } from './tolerance.js';

export type { Tolerance } from './tolerance.js';

export interface CompareRunsOptions extends Partial<Tolerance> {
  /** Where run `b` lives when it is not in `store` (a reproduction stored elsewhere with -F/-m). */
  storeB?: RunStore;
  /** Also compare artifacts by md5 (default true; each artifact is streamed once per run). */
  artifacts?: boolean;
}

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
  /** Points in each run (0 when the run lacks the metric). */
  pointsA: number;
  pointsB: number;
  /** 'missing' when one run has no such metric. */
  status: 'same' | 'diverges' | 'missing';
  divergence?: SeriesDivergence;
}

export interface ArtifactComparison {
  name: string;
  /** md5 hex in each run; null when that run has no such artifact. */
  md5A: string | null;
  md5B: string | null;
  same: boolean;
}

export interface RunComparison {
  a: RunId;
  b: RunId;
  tolerance: Tolerance;
  /** True when no tolerance was allowed: "same" means bit for bit. */
  bitwise: boolean;
  result: { same: boolean; a: unknown; b: unknown };
  metrics: MetricComparison[];
  /** Empty when artifacts were not compared. */
  artifacts: ArtifactComparison[];
  /** Result, every metric and every artifact the same. */
  same: boolean;
}

/** Compare run `b` to run `a`: result, metric series and artifacts. */
export async function compareRuns(
  store: RunStore,
  a: RunId,
  b: RunId,
  options: CompareRunsOptions = {},
): Promise<RunComparison> {
  const storeB = options.storeB ?? store;
  const tolerance: Tolerance = { rtol: options.rtol ?? 0, atol: options.atol ?? 0 };
  const [runA, runB] = await Promise.all([store.get(a), storeB.get(b)]);
  const metrics = await compareMetricSeries(store, runA._id, storeB, runB._id, tolerance);
  const artifacts = options.artifacts === false ? [] : await compareArtifacts(store, runA, storeB, runB);
  const result = {
    same: sameJson(runA.result ?? null, runB.result ?? null, tolerance),
    a: runA.result ?? null,
    b: runB.result ?? null,
  };
  return {
    a: runA._id,
    b: runB._id,
    tolerance,
    bitwise: tolerance.rtol === 0 && tolerance.atol === 0,
    result,
    metrics,
    artifacts,
    same: result.same && metrics.every((m) => m.status === 'same') && artifacts.every((x) => x.same),
  };
}

/**
 * Every metric of either run, by name. The series of one run are read once;
 * each pair is walked in one pass that stops at the first difference.
 */
export async function compareMetricSeries(
  storeA: RunStore,
  a: RunId,
  storeB: RunStore,
  b: RunId,
  tolerance: Tolerance,
): Promise<MetricComparison[]> {
  const [seriesA, seriesB] = await Promise.all([byName(storeA.metrics(a)), byName(storeB.metrics(b))]);
  const names = [...new Set([...seriesA.keys(), ...seriesB.keys()])].sort();
  return names.map((name) => compareSeries(name, seriesA.get(name), seriesB.get(name), tolerance));
}

async function byName(series: Promise<MetricSeries[]>): Promise<Map<string, MetricSeries>> {
  return new Map((await series).map((s) => [s.name, s]));
}

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
  for (let i = 0; i < shared; i++) {
    if (a.steps[i] !== b.steps[i] || !sameNumber(a.values[i]!, b.values[i]!, tolerance)) {
      return { name, pointsA, pointsB, status: 'diverges', divergence: pointAt(a, b, i) };
    }
  }
  if (pointsA !== pointsB) return { name, pointsA, pointsB, status: 'diverges', divergence: pointAt(a, b, shared) };
  return { name, pointsA, pointsB, status: 'same' };
}

function pointAt(a: MetricSeries, b: MetricSeries, index: number): SeriesDivergence {
  return {
    index,
    stepA: a.steps[index] ?? null,
    stepB: b.steps[index] ?? null,
    valueA: a.values[index] ?? null,
    valueB: b.values[index] ?? null,
  };
}

async function compareArtifacts(
  storeA: RunStore,
  runA: StoredRun,
  storeB: RunStore,
  runB: StoredRun,
): Promise<ArtifactComparison[]> {
  const [digestsA, digestsB] = await Promise.all([artifactDigests(storeA, runA), artifactDigests(storeB, runB)]);
  const names = [...new Set([...digestsA.keys(), ...digestsB.keys()])].sort();
  return names.map((name) => {
    const md5A = digestsA.get(name) ?? null;
    const md5B = digestsB.get(name) ?? null;
    return { name, md5A, md5B, same: md5A !== null && md5A === md5B };
  });
}

/** JSON values equal, numbers compared as metric values are (bitwise, or within the tolerance). */
function sameJson(a: unknown, b: unknown, tolerance: Tolerance): boolean {
  if (typeof a === 'number' && typeof b === 'number') return sameNumber(a, b, tolerance);
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => sameJson(item, b[i], tolerance));
  if (
    a !== null &&
    b !== null &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    !Array.isArray(a) &&
    !Array.isArray(b)
  ) {
    const keysA = Object.keys(a).sort();
    const keysB = Object.keys(b).sort();
    return (
      sameJson(keysA, keysB, tolerance) &&
      keysA.every((key) =>
        sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], tolerance),
      )
    );
  }
  return Object.is(a, b);
}
