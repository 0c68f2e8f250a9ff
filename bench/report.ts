/**
 * The suite's output: one row per figure (ritual beside Sacred, their ratio,
 * the target and whether it was met), printed as a table and written
 * as JSON with the facts of the machine it was measured on.
 */
import { execFile } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

export interface Figure {
  /** Benchmark it belongs to: startup, log-scalar, heartbeat, mongo, training, memory. */
  benchmark: string;
  /** What is measured, with its unit, e.g. `added start-up time (ms)`. */
  name: string;
  unit: string;
  ours: number | null;
  /** Sacred's value, or null when the figure has no peer. */
  peer: number | null;
  /** The target, in words. */
  target: string;
  /** null when the figure has no target (context only) or could not be measured. */
  pass: boolean | null;
  /** Anything a reader needs to interpret the number (sizes, repeats, caveats). */
  note?: string;
  /** The other trackers' values (the `peers` benchmark), by column; null where one has no such figure or was skipped. */
  peers?: Partial<Record<PeerColumn, number | null>>;
  /** Which way is better, so that "the best peer" can be picked: times and sizes lower, rates higher. */
  better?: 'lower' | 'higher';
}

/** The trackers measured beside ritual and Sacred by the `peers` benchmark, in column order. */
export const PEER_COLUMNS = ['MLflow file', 'MLflow sqlite', 'W&B offline'] as const;
export type PeerColumn = (typeof PEER_COLUMNS)[number];

/** What each benchmark module returns to the suite. */
export interface BenchResult {
  figures: Figure[];
  details: unknown;
}

/** A benchmark that could not run: reported, never fatal to the rest of the suite. */
export interface BenchFailure {
  benchmark: string;
  error: string;
}

export interface MachineFacts {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  python: string | null;
  sacred: string | null;
  gitCommit: string | null;
  date: string;
  /** Versions of the other Python trackers measured (`peers`), e.g. `{ mlflow: '3.17.2' }`; absent when none ran. */
  trackers?: Record<string, string>;
  /** 1-minute load average when the suite started and ended: on a shared machine, how much else was running. */
  load: { start: number; end: number };
}

export interface SuiteReport {
  command: string;
  smoke: boolean;
  machine: MachineFacts;
  figures: Figure[];
  failures: BenchFailure[];
  /** Raw per-benchmark details (every repeat), for whoever wants more than medians. */
  details: Record<string, unknown>;
}

/** The commit measured: read when the suite starts (others may commit while it runs). */
export async function currentCommit(): Promise<string | null> {
  try {
    return (await promisify(execFile)('git', ['rev-parse', '--short', 'HEAD'])).stdout.trim();
  } catch {
    return null; // not a git checkout: the commit is simply unknown
  }
}

export async function machineFacts(
  versions: { python: string; sacred: string } | null,
  atStart: { load: number; gitCommit: string | null },
): Promise<MachineFacts> {
  const { gitCommit } = atStart;
  const loadAtStart = atStart.load;
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    python: versions?.python ?? null,
    sacred: versions?.sacred ?? null,
    gitCommit,
    date: new Date().toISOString(),
    load: { start: loadAtStart, end: loadavg()[0] ?? 0 },
  };
}

/**
 * ritual / the best of Sacred and the peers for this figure (lowest time or
 * size, highest rate); null without peers, a direction, or a value of ours.
 */
export function ratioToBestPeer(figure: Figure): number | null {
  if (figure.peers === undefined || figure.better === undefined || figure.ours === null) return null;
  const values = [figure.peer, ...PEER_COLUMNS.map((column) => figure.peers?.[column] ?? null)].filter(
    (value): value is number => value !== null && Number.isFinite(value),
  );
  if (values.length === 0) return null;
  const best = figure.better === 'lower' ? Math.min(...values) : Math.max(...values);
  return best === 0 ? null : figure.ours / best;
}

/** ritual / Sacred; null when either side is missing. */
export function ratioOf(figure: Figure): number | null {
  if (figure.ours === null || figure.peer === null || figure.peer === 0) return null;
  return figure.ours / figure.peer;
}

export function formatNumber(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (magnitude >= 1e4) return `${(value / 1e3).toFixed(0)}k`;
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(magnitude >= 1 ? 2 : 3);
}

/** `0.37x`, `20x`; tiny ratios as `1/3700x`, which reads better than `0.000x`. */
export function formatRatio(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '–';
  if (ratio > 0 && ratio < 0.1) return `1/${formatNumber(1 / ratio)}x`;
  return `${formatNumber(ratio)}x`;
}

function verdict(pass: boolean | null): string {
  return pass === null ? '' : pass ? 'pass' : 'MISS';
}

const HEADER = ['benchmark', 'figure', 'ritual', 'Sacred', 'ratio', 'target', 'result'];
/** Added at the end when the report has figures of the `peers` benchmark. */
const PEER_HEADER = [...PEER_COLUMNS, 'ritual / best'];

function hasPeers(report: SuiteReport): boolean {
  return report.figures.some((f) => f.peers !== undefined);
}

function header(report: SuiteReport): string[] {
  return hasPeers(report) ? [...HEADER, ...PEER_HEADER] : HEADER;
}

function rows(report: SuiteReport): string[][] {
  const withPeers = hasPeers(report);
  const figureRows = report.figures.map((f) => {
    const ratio = ratioOf(f);
    const row = [
      f.benchmark,
      `${f.name} (${f.unit})`,
      formatNumber(f.ours),
      formatNumber(f.peer),
      formatRatio(ratio),
      f.target,
      verdict(f.pass),
    ];
    if (!withPeers) return row;
    if (f.peers === undefined) return [...row, ...PEER_HEADER.map(() => '')];
    return [
      ...row,
      ...PEER_COLUMNS.map((column) => formatNumber(f.peers?.[column] ?? null)),
      formatRatio(ratioToBestPeer(f)),
    ];
  });
  const failureRows = report.failures.map((f) => [
    f.benchmark,
    'did not run',
    '–',
    '–',
    '–',
    '',
    `ERROR: ${firstLine(f.error)}`,
    ...(withPeers ? PEER_HEADER.map(() => '') : []),
  ]);
  return [...figureRows, ...failureRows];
}

/** A plain-text table for the terminal. */
export function formatTable(report: SuiteReport): string {
  const head = header(report);
  const all = [head, ...rows(report)];
  const widths = head.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows(report).map(line)].join('\n');
}

/** The same table in Markdown, with the machine and the command, for bench/RESULTS.md and the README. */
export function formatMarkdown(report: SuiteReport): string {
  const m = report.machine;
  const escapeCell = (cell: string) => cell.replace(/\|/g, '\\|');
  const head = header(report);
  const table = [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows(report).map((row) => `| ${row.map(escapeCell).join(' | ')} |`),
  ];
  const notes = report.figures.filter((f) => f.note).map((f) => `- **${f.benchmark} / ${f.name}**: ${f.note}`);
  return [
    `Measured ${m.date.slice(0, 16).replace('T', ' ')} UTC on ${m.cpu} (${m.cores} cores, ${m.memoryGb} GB), ${m.os}, Node ${m.node}, Python ${m.python ?? '?'} with Sacred ${m.sacred ?? '?'}, commit ${m.gitCommit ?? '?'}; load average ${m.load.start.toFixed(1)} at start, ${m.load.end.toFixed(1)} at end.`,
    `Command: \`${report.command}\`. Ratio is ritual / Sacred (below 1 is better for times, above 1 for rates)` +
      (hasPeers(report)
        ? `; "ritual / best" divides by the best of Sacred and the other trackers for that figure (${trackerFacts(m)}).`
        : '.'),
    '',
    ...table,
    '',
    ...notes,
  ].join('\n');
}

/** Write the report as JSON, atomically (a half-written latest.json would mislead the next reader). */
export async function writeReport(path: string, report: SuiteReport): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(report, null, 2)}\n`);
  await rename(temporary, path);
}

function trackerFacts(machine: MachineFacts): string {
  const versions = Object.entries(machine.trackers ?? {});
  return versions.length === 0 ? 'none installed' : versions.map(([name, version]) => `${name} ${version}`).join(', ');
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 120);
}
