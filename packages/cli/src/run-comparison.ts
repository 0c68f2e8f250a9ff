/**
 * Whether two stored runs give the same numbers: result, every metric series
 * (steps and values, bitwise unless a tolerance is given) and every artifact
 * (by md5). `ritual reproduce` prints its verdict from this, and `ritual
 * compare` its "series" part; scripts can call it on any pair of runs.
 */
import type { RunId } from '@ritual/core';
import type { RunStore, StoredRun } from '@ritual/observers';
import { artifactDigests } from './artifact-digest.js';
import { compareOutput, type OutputComparison, type PrintedOutput } from './output-comparison.js';
import { compareSeriesStreams, type MetricComparison, type StreamComparisonOptions } from './series-comparison.js';
import { sameNumber, type Tolerance } from './tolerance.js';

export type { Tolerance } from './tolerance.js';
export { compareSeries, type MetricComparison, type SeriesDivergence } from './series-comparison.js';
export type { OutputComparison } from './output-comparison.js';

export interface CompareRunsOptions extends Partial<Tolerance>, StreamComparisonOptions {
  /** Where run `b` lives when it is not in `store` (a reproduction stored elsewhere with -F/-m). */
  storeB?: RunStore;
  /** Also compare artifacts by md5 (default true; each artifact is streamed once per run). */
  artifacts?: boolean;
  /** Also compare the captured output, minus timings (default false; see output-comparison.ts). */
  output?: boolean;
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
  /** Null when the output was not compared. */
  output: OutputComparison | null;
  /** Result, every metric and every artifact (and the output, when compared) the same. */
  same: boolean;
}

/**
 * The system sampler's metrics (`--system-interval`) describe the machine while the run worked, not what it
 * computed: a reproduction on a busier machine, or one long enough for another sample, is still the same run.
 */
const SYSTEM_METRICS = 'system.';

/** Compare run `b` to run `a`: result, metric series (the sampler's `system.*` aside) and artifacts. */
export async function compareRuns(
  store: RunStore,
  a: RunId,
  b: RunId,
  options: CompareRunsOptions = {},
): Promise<RunComparison> {
  const storeB = options.storeB ?? store;
  const tolerance: Tolerance = { rtol: options.rtol ?? 0, atol: options.atol ?? 0 };
  const [runA, runB] = await Promise.all([store.get(a), storeB.get(b)]);
  const metrics = await compareMetricSeries(store, runA._id, storeB, runB._id, tolerance, options);
  const artifacts = options.artifacts === false ? [] : await compareArtifacts(store, runA, storeB, runB);
  const printed = (run: StoredRun): PrintedOutput => ({
    text: run.captured_out ?? '',
    ...(run.experiment?.base_dir ? { baseDir: run.experiment.base_dir } : {}),
  });
  const output = options.output ? compareOutput(printed(runA), printed(runB)) : null;
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
    output,
    same:
      result.same &&
      metrics.every((m) => m.status === 'same') &&
      artifacts.every((x) => x.same) &&
      (output?.same ?? true),
  };
}

/**
 * Every metric of either run, by name, one metric after another: each pair
 * of series is streamed side by side and walked in one pass (see
 * series-comparison.ts), so memory holds a chunk of each, not the runs.
 */
export async function compareMetricSeries(
  storeA: RunStore,
  a: RunId,
  storeB: RunStore,
  b: RunId,
  tolerance: Tolerance,
  options: StreamComparisonOptions = {},
): Promise<MetricComparison[]> {
  const computed = (names: string[]): string[] => names.filter((name) => !name.startsWith(SYSTEM_METRICS));
  const [namesA, namesB] = await Promise.all([
    storeA.metricNames(a).then(computed),
    storeB.metricNames(b).then(computed),
  ]);
  const inA = new Set(namesA);
  const inB = new Set(namesB);
  const names = [...new Set([...namesA, ...namesB])].sort();
  const comparisons: MetricComparison[] = [];
  for (const name of names) {
    // Steps and values are compared, never times: a store may leave them unread.
    const seriesA = inA.has(name) ? storeA.metricChunks(a, name, { timestamps: false }) : undefined;
    const seriesB = inB.has(name) ? storeB.metricChunks(b, name, { timestamps: false }) : undefined;
    comparisons.push(await compareSeriesStreams(name, seriesA, seriesB, tolerance, options));
  }
  return comparisons;
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
