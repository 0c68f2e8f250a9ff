import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type {
  CompletedEvent,
  FailedEvent,
  HeartbeatEvent,
  InterruptedEvent,
  MetricsEvent,
  Observer,
  QueuedEvent,
  RunId,
  StartedEvent,
} from '@ritual/core';
import { formatDuration } from '@ritual/core/observer-kit';

/** Options of the ConsoleObserver. */
export interface ConsoleObserverOptions {
  /** File descriptor to write to. Default 2 (stderr). */
  fd?: number;
  /** Force colours on or off; default: on for a TTY unless NO_COLOR is set. */
  color?: boolean;
  /** Print a line on each heartbeat. Default true. */
  heartbeats?: boolean;
}

interface MetricSummary {
  last: number;
  min: number;
  max: number;
  count: number;
}

/**
 * Prints a run's life to the terminal: start, a short line per heartbeat
 * with the latest metrics, and a summary at the end. It writes to the file
 * descriptor directly (not through process.stderr) so that its own lines
 * are not recorded as the run's captured output.
 */
export class ConsoleObserver implements Observer {
  readonly name = 'ConsoleObserver';
  readonly priority = 10;
  private readonly fd: number;
  private readonly colors;
  private readonly heartbeats: boolean;
  private readonly metrics = new Map<string, MetricSummary>();
  private startedAt = 0;
  private label = '';

  constructor(options: ConsoleObserverOptions = {}) {
    this.fd = options.fd ?? 2;
    const tty = Boolean((this.fd === 1 ? process.stdout : process.stderr).isTTY);
    // Required here rather than imported: importing @ritual/observers for another
    // observer must not load it, and importing CommonJS from ESM lexes it first (start-up, issue 7).
    const picocolors = createRequire(import.meta.url)('picocolors') as typeof import('picocolors');
    this.colors = picocolors.createColors(options.color ?? (tty && !process.env.NO_COLOR));
    this.heartbeats = options.heartbeats ?? true;
  }

  queued(event: QueuedEvent): void {
    this.print(`${this.colors.cyan('queued')} ${event.experiment.name} ${this.id(event.runId)}`);
  }

  started(event: StartedEvent): void {
    this.startedAt = event.startTime.getTime();
    this.label = `${event.experiment.name}${event.runId === null ? '' : ` #${event.runId}`}`;
    const { seed } = event.config;
    this.print(
      `${this.colors.cyan('started')} ${this.colors.bold(this.label)} command=${event.command} seed=${String(seed)} host=${event.host.hostname}`,
    );
  }

  logMetrics(event: MetricsEvent): void {
    for (const series of event.metrics) {
      let summary = this.metrics.get(series.name);
      for (const value of series.values) {
        if (!summary) {
          summary = { last: value, min: value, max: value, count: 0 };
          this.metrics.set(series.name, summary);
        }
        summary.last = value;
        if (value < summary.min) summary.min = value;
        if (value > summary.max) summary.max = value;
        summary.count++;
      }
    }
  }

  heartbeat(event: HeartbeatEvent): void {
    if (!this.heartbeats) return;
    const latest = [...this.metrics].slice(0, 6).map(([name, s]) => `${name}=${format(s.last)}`);
    this.print(
      `${this.colors.dim('beat')} ${this.label} ${formatDuration(event.beatTime.getTime() - this.startedAt)}${latest.length ? ` ${latest.join(' ')}` : ''}`,
    );
  }

  completed(event: CompletedEvent): void {
    this.summary();
    const result = event.result === undefined ? '' : ` result=${JSON.stringify(event.result)}`;
    this.print(
      `${this.colors.green('completed')} ${this.label} in ${formatDuration(event.stopTime.getTime() - this.startedAt)}${result}`,
    );
  }

  failed(event: FailedEvent): void {
    this.summary();
    const last = event.failTrace.find((line) => line.trim().length > 0)?.trim() ?? '';
    this.print(
      `${this.colors.red('failed')} ${this.label} after ${formatDuration(event.stopTime.getTime() - this.startedAt)}: ${last}`,
    );
  }

  interrupted(event: InterruptedEvent): void {
    this.summary();
    this.print(
      `${this.colors.yellow(event.status.toLowerCase())} ${this.label} after ${formatDuration(event.stopTime.getTime() - this.startedAt)}`,
    );
  }

  private summary(): void {
    if (this.metrics.size === 0) return;
    const width = Math.max(6, ...[...this.metrics.keys()].map((name) => name.length));
    this.print(
      this.colors.bold(
        `${'metric'.padEnd(width)}  ${'last'.padStart(10)} ${'min'.padStart(10)} ${'max'.padStart(10)} ${'points'.padStart(8)}`,
      ),
    );
    for (const [name, s] of this.metrics) {
      this.print(
        `${name.padEnd(width)}  ${format(s.last).padStart(10)} ${format(s.min).padStart(10)} ${format(s.max).padStart(10)} ${String(s.count).padStart(8)}`,
      );
    }
  }

  private id(runId: RunId | null): string {
    return runId === null ? '' : `#${runId}`;
  }

  private print(line: string): void {
    try {
      writeSync(this.fd, `${line}\n`);
    } catch {
      // A closed terminal must not fail the run.
    }
  }
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1e5 || (value !== 0 && Math.abs(value) < 1e-3)
    ? value.toExponential(3)
    : String(Number(value.toPrecision(5)));
}
