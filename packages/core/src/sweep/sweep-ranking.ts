/**
 * The end of a sweep: its runs ranked by result (or by a metric's last value), the best config, and a
 * one-line count of how they ended. Runs without a number to rank by (failed, interrupted, never
 * started, a non-numeric result) follow the ranked ones in sweep order.
 */
import type { RunId } from '../run/run-record.js';
import type { SweepPlan, SweepPoint } from './sweep-plan.js';

/** How one run of a sweep ended, as the sweep saw it. */
export interface SweepRunOutcome {
  point: SweepPoint;
  /** The run's status, or NOT_STARTED (the sweep was stopped first) or CRASHED (no report: exit before the run). */
  status: string;
  id: RunId | null;
  result: unknown;
  metric?: number;
  exitCode: number | null;
}

export interface RankingOptions {
  /** Rank by this metric's last value instead of the result. */
  metric?: string;
  /** Lowest first (default: highest first). */
  minimize: boolean;
}

function scoreOf(outcome: SweepRunOutcome, options: RankingOptions): number | undefined {
  const value = options.metric === undefined ? outcome.result : outcome.metric;
  return outcome.status === 'COMPLETED' && typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Ranked outcomes: scored ones best first, then the rest in sweep order. */
export function rankOutcomes(outcomes: SweepRunOutcome[], options: RankingOptions): SweepRunOutcome[] {
  const scored = outcomes.filter((outcome) => scoreOf(outcome, options) !== undefined);
  const direction = options.minimize ? 1 : -1;
  scored.sort((a, b) => direction * (scoreOf(a, options)! - scoreOf(b, options)!) || a.point.index - b.point.index);
  return [...scored, ...outcomes.filter((outcome) => scoreOf(outcome, options) === undefined)];
}

function shown(value: unknown): string {
  if (value === undefined) return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return JSON.stringify(value) ?? String(value);
}

/** `lr=0.01 model.hidden=128`: the swept values of a run. */
export function describePoint(point: SweepPoint): string {
  return point.assignments.map(([path, value]) => `${path}=${shown(value)}`).join(' ') || '(no swept values)';
}

/** The final report of a sweep (no trailing newline). */
export function renderSweepReport(plan: SweepPlan, outcomes: SweepRunOutcome[], options: RankingOptions): string {
  const ranked = rankOutcomes(outcomes, options);
  const valueHeader = options.metric ?? 'result';
  const paths = plan.points[0]?.assignments.map(([path]) => path) ?? [];
  const header = ['rank', '#', 'run', 'status', valueHeader, ...paths];
  let rank = 0;
  const rows = ranked.map((outcome) => {
    const score = scoreOf(outcome, options);
    const value = options.metric === undefined ? outcome.result : outcome.metric;
    return [
      score === undefined ? '-' : String(++rank),
      String(outcome.point.index),
      outcome.id === null ? '-' : String(outcome.id),
      outcome.status,
      shown(value),
      ...outcome.point.assignments.map(([, item]) => shown(item)),
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  const counts = new Map<string, number>();
  for (const outcome of outcomes) counts.set(outcome.status, (counts.get(outcome.status) ?? 0) + 1);
  const summary = [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
  const best = ranked[0] && scoreOf(ranked[0], options) !== undefined ? ranked[0] : undefined;
  const direction = options.minimize ? 'lowest' : 'highest';
  return [
    `Sweep ${plan.id} (${plan.mode}, ${plan.points.length} runs, sweep seed ${plan.seed}): ${summary}`,
    line(header),
    ...rows.map(line),
    best
      ? `Best (${direction} ${valueHeader}): run ${best.id ?? '-'} (#${best.point.index}) ${describePoint(best.point)}` +
        ` -> ${valueHeader} ${shown(options.metric === undefined ? best.result : best.metric)}`
      : `Best: none (no completed run has a numeric ${valueHeader}).`,
  ].join('\n');
}
