/**
 * The child process of bench/reproduce-overhead.ts: compareRuns on two runs
 * of a runs folder, alone in a fresh process, so that its memory is not
 * mixed with the writing of the runs. RSS and heap are sampled every few
 * milliseconds while it compares (the walk awaits a read per chunk, so the
 * sampler runs in between); peak minus the level just before is printed.
 *
 *   node --expose-gc --conditions=@ritual/source --import tsx bench/compare-subject.ts DIR A B [--stop]
 */
import { parseArgs } from 'node:util';
import { openStore } from '@ritual/observers';
import { compareRuns } from '../packages/cli/src/run-comparison.js';
import { emitResult } from './peers/child-process.js';

const SAMPLE_MS = 2;
const MB = 1024 * 1024;

export interface CompareFigure {
  ms: number;
  /** User + system CPU time of the comparison (this process): less sensitive than wall time to other jobs. */
  cpuMs: number;
  same: boolean;
  /** Points of run A that were compared (every metric's count, when counted). */
  points: number;
  peakRssGrowthMb: number;
  peakHeapGrowthMb: number;
  divergenceIndex: number | null;
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { stop: { type: 'boolean', default: false } },
});
const [dir, a, b] = positionals as [string, string, string];
const store = await openStore(dir);
global.gc?.();
const rss0 = process.memoryUsage().rss;
const heap0 = process.memoryUsage().heapUsed;
let peakRss = rss0;
let peakHeap = heap0;
const sample = (): void => {
  const usage = process.memoryUsage();
  peakRss = Math.max(peakRss, usage.rss);
  peakHeap = Math.max(peakHeap, usage.heapUsed);
};
const sampler = setInterval(sample, SAMPLE_MS);
const start = performance.now();
const cpu0 = process.cpuUsage();
const comparison = await compareRuns(store, Number(a), Number(b), { artifacts: false, stopAtDivergence: values.stop });
const ms = performance.now() - start;
const cpu = process.cpuUsage(cpu0);
sample();
clearInterval(sampler);
await store.close();
const figure: CompareFigure = {
  ms,
  cpuMs: (cpu.user + cpu.system) / 1000,
  same: comparison.same,
  points: comparison.metrics.reduce((n, m) => n + (m.pointsA ?? 0), 0),
  peakRssGrowthMb: (peakRss - rss0) / MB,
  peakHeapGrowthMb: (peakHeap - heap0) / MB,
  divergenceIndex: comparison.metrics.find((m) => m.divergence !== undefined)?.divergence?.index ?? null,
};
emitResult(figure);
