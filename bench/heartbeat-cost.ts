/**
 * Heartbeat cost against run length: the time of one beat of ritual's
 * FileStorageObserver (logMetrics of the new points + heartbeat) after 1k,
 * 100k, 1M stored metric points. Sacred's observer rewrites every stored
 * point each beat, so its cost grows linearly; ritual's should stay flat.
 *
 *   node --conditions=@ritual/source --import tsx bench/heartbeat-cost.ts [--sacred] [--sizes 1000,100000,1000000]
 *
 * `--sacred` adds Sacred 0.8.7's FileStorageObserver for the same sizes
 * (bench/peers/sacred-heartbeat.ts, needs the cached Python venv).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ExperimentInfo, MetricSeries } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';

export interface HeartbeatBenchOptions {
  /** Stored metric points before the timed beats. */
  sizes: number[];
  /** New points per timed beat (split over two metrics). Default 100. */
  batch?: number;
  /** Timed beats per size. Default 20. */
  beats?: number;
  /** Also measure Sacred's FileStorageObserver (Python venv). Default false. */
  sacred?: boolean;
}

export interface HeartbeatBenchRow {
  storedPoints: number;
  /** Median time of one beat (logMetrics + heartbeat), ms. */
  medianMs: number;
  maxMs: number;
  /** Size of metrics.json after the preload, bytes (what Sacred would rewrite each beat). */
  metricsJsonBytes: number;
  sacredMedianMs?: number;
}

const EXPERIMENT: ExperimentInfo = {
  name: 'bench',
  base_dir: tmpdir(),
  mainfile: null,
  sources: [],
  dependencies: [],
  repositories: [],
};
const PRELOAD_BATCH = 50_000;

function series(name: string, from: number, count: number, now: number): MetricSeries {
  const steps = Array.from({ length: count }, (_, i) => from + i);
  return { name, steps, values: steps.map((s) => 1 / (s + 1)), timestamps: steps.map(() => now) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function measureRitual(storedPoints: number, batch: number, beats: number): Promise<HeartbeatBenchRow> {
  const dir = await mkdtemp(join(tmpdir(), 'ritual-bench-heartbeat-'));
  try {
    const observer = new FileStorageObserver(dir);
    const runId = await observer.started({
      runId: null,
      experiment: EXPERIMENT,
      command: 'main',
      host: { hostname: 'bench', os: ['Linux', ''], node_version: process.version, cpu: '', ENV: {} },
      startTime: new Date(),
      config: { seed: 1 },
      meta: { command: 'main', options: {}, config_updates: {}, named_configs: [] },
    });
    const now = Date.now();
    const half = Math.ceil(storedPoints / 2);
    for (let from = 0; from < half; from += PRELOAD_BATCH) {
      const count = Math.min(PRELOAD_BATCH, half - from);
      await observer.logMetrics({
        runId,
        info: {},
        metrics: [series('loss', from, count, now), series('acc', from, count, now)],
      });
    }
    // Steady state: everything preloaded is in metrics.json, as it would be long into a run.
    await observer.syncMetrics();
    const metricsJsonBytes = (await stat(join(dir, String(runId), 'metrics.json'))).size;
    const times: number[] = [];
    for (let beat = 0; beat < beats; beat += 1) {
      const from = half + beat * (batch / 2);
      const metrics = [series('loss', from, batch / 2, Date.now()), series('acc', from, batch / 2, Date.now())];
      const start = process.hrtime.bigint();
      await observer.logMetrics({ runId, info: {}, metrics });
      await observer.heartbeat({
        runId,
        info: { beat },
        capturedOutDelta: `beat ${beat}\n`,
        beatTime: new Date(),
        result: null,
      });
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      // Real beats are seconds apart: let a background metrics.json refresh finish, untimed.
      await observer.idle();
    }
    await observer.completed({ runId, stopTime: new Date(), result: null });
    await observer.close();
    return { storedPoints, medianMs: median(times), maxMs: Math.max(...times), metricsJsonBytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runHeartbeatBench(options: HeartbeatBenchOptions): Promise<HeartbeatBenchRow[]> {
  const batch = options.batch ?? 100;
  const beats = options.beats ?? 20;
  const rows: HeartbeatBenchRow[] = [];
  for (const size of options.sizes) rows.push(await measureRitual(size, batch, beats));
  if (options.sacred) {
    const { sacredHeartbeat } = await import('./peers/sacred-heartbeat.js');
    const points = await sacredHeartbeat({ sizes: options.sizes, batch, repeats: 3 });
    for (const row of rows) row.sacredMedianMs = points.find((p) => p.storedPoints === row.storedPoints)?.medianMs;
  }
  return rows;
}

export function formatHeartbeatTable(rows: HeartbeatBenchRow[]): string {
  const header = ['stored points', 'ritual median ms', 'ritual max ms', 'metrics.json MB', 'Sacred median ms'];
  const body = rows.map((row) => [
    row.storedPoints.toLocaleString('en-US'),
    row.medianMs.toFixed(2),
    row.maxMs.toFixed(2),
    (row.metricsJsonBytes / 1e6).toFixed(1),
    row.sacredMedianMs === undefined ? '-' : row.sacredMedianMs.toFixed(1),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((cells) => (cells[i] as string).length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padStart(widths[i] as number)).join('  ');
  return [line(header), ...body.map(line)].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const sizesArg = args[args.indexOf('--sizes') + 1];
  const sizes = args.includes('--sizes') && sizesArg ? sizesArg.split(',').map(Number) : [1_000, 100_000, 1_000_000];
  const rows = await runHeartbeatBench({ sizes, sacred: args.includes('--sacred') });
  console.log(
    'One heartbeat (logMetrics of 100 new points + heartbeat) of the FileStorageObserver after N stored points:\n',
  );
  console.log(formatHeartbeatTable(rows));
}
