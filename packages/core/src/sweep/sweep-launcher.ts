/**
 * Runs a sweep's configs, each as a child process of the experiment's own command line (`node
 * train.js [COMMAND] [options] with <its words>`), at most `jobs` at once. A child process per run
 * keeps runs apart as a user's own runs are: its own seeded Math.random (two trainings interleaved in
 * one process would share it), its own output capture, its own crash. With one job the runs write to
 * this terminal directly; with more, each line is prefixed by the run's sweep index.
 *
 * A signal (Ctrl-C) stops the sweep: running runs get it (and record INTERRUPTED), pending ones are
 * never started. The children are their own process group so that a terminal's Ctrl-C reaches them
 * once, from here, not twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SweepPlan, SweepPoint } from './sweep-plan.js';
import { SWEEP_ENV, type SweepMarker, type SweepRunReport } from './sweep-marker.js';
import type { SweepRunOutcome } from './sweep-ranking.js';

export interface LaunchOptions {
  /** Arguments of every run before its `with` words (command and options, no sweep flags). */
  runArgv: string[];
  jobs: number;
  /** The metric each run reports the last value of (`--sweep-metric`). */
  metric?: string;
  /** Called as each run starts and ends (progress lines). */
  onEvent?: (event: { kind: 'start' | 'end'; point: SweepPoint; outcome?: SweepRunOutcome }) => void;
}

export interface LaunchResult {
  outcomes: SweepRunOutcome[];
  /** The signal that stopped the sweep, if one did. */
  stoppedBy: NodeJS.Signals | null;
}

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export async function launchSweep(plan: SweepPlan, options: LaunchOptions): Promise<LaunchResult> {
  const reports = mkdtempSync(join(tmpdir(), `ritual-sweep-${plan.id}-`));
  const outcomes: SweepRunOutcome[] = plan.points.map((point) => ({
    point,
    status: 'NOT_STARTED',
    id: null,
    result: undefined,
    exitCode: null,
  }));
  const running = new Set<ChildProcess>();
  let stoppedBy: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    stoppedBy ??= signal;
    for (const child of running) child.kill(signal);
  };
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = () => onSignal(signal);
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });

  const runOne = async (point: SweepPoint): Promise<void> => {
    const report = join(reports, `${point.index}.json`);
    const marker: SweepMarker = {
      id: plan.id,
      index: point.index,
      size: plan.points.length,
      seed: plan.seed,
      report,
      ...(options.metric !== undefined ? { metric: options.metric } : {}),
    };
    const script = process.argv[1] ?? '';
    const child = spawn(process.execPath, [...process.execArgv, script, ...options.runArgv, 'with', ...point.words], {
      env: { ...process.env, [SWEEP_ENV]: JSON.stringify(marker) },
      stdio: options.jobs === 1 ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child);
    options.onEvent?.({ kind: 'start', point });
    if (options.jobs > 1) {
      for (const [stream, target] of [
        [child.stdout, process.stdout],
        [child.stderr, process.stderr],
      ] as const) {
        if (!stream) continue;
        createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
          target.write(`[${point.index}] ${line}\n`),
        );
      }
    }
    const exitCode = await new Promise<number | null>((resolve) => {
      child.on('error', () => resolve(null));
      child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : null)));
    });
    running.delete(child);
    const outcome = outcomes[point.index]!;
    outcome.exitCode = exitCode;
    const reported = readReport(report);
    if (reported) {
      outcome.status = reported.status;
      outcome.id = reported.id;
      outcome.result = reported.result;
      if (reported.metric !== undefined) outcome.metric = reported.metric;
    } else {
      // Ended before its run did (a refused config, a crash, a kill): the run's own output says why.
      outcome.status = 'CRASHED';
    }
    options.onEvent?.({ kind: 'end', point, outcome });
  };

  try {
    let next = 0;
    const worker = async () => {
      while (stoppedBy === null && next < plan.points.length) await runOne(plan.points[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(options.jobs, plan.points.length) }, worker));
  } finally {
    for (const remove of handlers) remove();
    rmSync(reports, { recursive: true, force: true });
  }
  return { outcomes, stoppedBy };
}

function readReport(path: string): SweepRunReport | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SweepRunReport;
  } catch {
    return undefined;
  }
}
