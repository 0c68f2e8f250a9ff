/**
 * One line per item that differs between two runs, in the words of the
 * reproduce verdict: `batch.loss diverges at step 37: 0.4123 (run 1) vs
 * 0.4125 (run 9)`. Values are printed in full (shortest round-trip form), so
 * two numbers that differ in the last bit never look the same.
 */
import type { RunId } from '@ritual/core';
import type { ArtifactComparison, MetricComparison, RunComparison } from './run-comparison.js';

function label(id: RunId): string {
  return `run ${String(id)}`;
}

function num(value: number | null): string {
  return value === null ? '(none)' : String(value);
}

/** A series not read to its end (the comparison stopped at the divergence) has more points than were compared. */
function count(points: number | null, compared: number): string {
  return points === null ? `more than ${compared}` : String(points);
}

export function metricDifference(metric: MetricComparison, a: RunId, b: RunId): string | null {
  if (metric.status === 'same') return null;
  if (metric.status === 'missing') {
    // The run that lacks the metric counts 0 points; the other may not have been counted (null).
    const has = metric.pointsB === 0 ? a : b;
    const lacks = has === a ? b : a;
    return `${metric.name} is only in ${label(has)}, not in ${label(lacks)}`;
  }
  const d = metric.divergence!;
  if (d.stepA === null || d.stepB === null) {
    return (
      `${metric.name} has ${count(metric.pointsA, d.index)} points (${label(a)}) vs ` +
      `${count(metric.pointsB, d.index)} (${label(b)}); equal up to there`
    );
  }
  const at =
    d.stepA === d.stepB
      ? `step ${d.stepA}`
      : `point ${d.index} (step ${d.stepA} in ${label(a)}, ${d.stepB} in ${label(b)})`;
  return `${metric.name} diverges at ${at}: ${num(d.valueA)} (${label(a)}) vs ${num(d.valueB)} (${label(b)})`;
}

export function artifactDifference(artifact: ArtifactComparison, a: RunId, b: RunId): string | null {
  if (artifact.same) return null;
  if (artifact.md5A === null) return `${artifact.name} is only in ${label(b)}`;
  if (artifact.md5B === null) return `${artifact.name} is only in ${label(a)}`;
  return `${artifact.name} differs`;
}

export function resultDifference(comparison: RunComparison): string | null {
  if (comparison.result.same) return null;
  return (
    `result ${JSON.stringify(comparison.result.a)} (${label(comparison.a)}) vs ` +
    `${JSON.stringify(comparison.result.b)} (${label(comparison.b)})`
  );
}

/** Every difference of a comparison, result first, then metrics and artifacts by name. */
export function comparisonDifferences(comparison: RunComparison): string[] {
  const { a, b } = comparison;
  return [
    resultDifference(comparison),
    ...comparison.metrics.map((m) => metricDifference(m, a, b)),
    ...comparison.artifacts.map((x) => artifactDifference(x, a, b)),
    outputDifference(comparison),
  ].filter((line): line is string => line !== null);
}

/** Where the captured output first differs once timings are taken out, each line shortened to fit one screen line. */
export function outputDifference(comparison: RunComparison): string | null {
  const d = comparison.output?.divergence;
  if (!d) return null;
  const quote = (text: string | null): string => (text === null ? '(no line)' : JSON.stringify(shorten(text)));
  return (
    `output differs at line ${d.line}: ${quote(d.textA)} (${label(comparison.a)}) vs ${quote(d.textB)} ` +
    `(${label(comparison.b)})`
  );
}

function shorten(text: string): string {
  return text.length <= 60 ? text : `${text.slice(0, 57)}...`;
}
