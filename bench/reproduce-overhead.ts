/**
 * What `ritual reproduce` costs beyond the run itself (issue 15):
 * 1. compareRuns on two runs of N points per metric (2 metrics, file store;
 *    the issue: 1M points, under 1 s, bounded memory), each comparison in a
 *    fresh child process (bench/compare-subject.ts) that samples its own
 *    memory; the same at N/5 points, so that bounded memory shows as a
 *    ratio measured in this run; the long pair again under a 32 MB old-space
 *    cap; and a pair that parts at step 10, compared as reproduce does
 *    (stopping at the first divergence);
 * 2. on the MNIST example's fast run: rebuild (sources, node_modules links,
 *    environment checks) + compare, beside the time of the training run.
 *
 *   npm run bench -- --only reproduce
 *   node --conditions=@ritual/source --import tsx bench/reproduce-overhead.ts [--points 1000000]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Experiment } from '@ritual/core';
import { FileStorageObserver, openStore } from '@ritual/observers';
import { compareRuns } from '../packages/cli/src/run-comparison.js';
import { rebuildCode } from '../packages/cli/src/rebuild.js';
import { checkEnvironment } from '../packages/cli/src/environment-check.js';
import type { CompareFigure } from './compare-subject.js';
import { parseResult, runChild } from './peers/child-process.js';
import type { BenchResult } from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Noise allowance on top of "comparing 10x the points needs no more memory" (as the memory benchmark). */
const SLACK_MB = 32;
/** Where the diverging run parts from the others. */
const DIVERGES_AT = 10;
/**
 * V8 old-space cap (MB) for a second comparison of the long pair: live memory
 * that grew with the series (the whole-series reader needed +520 MB of heap
 * for 1M points) could not fit, garbage left for later collection can.
 */
const HEAP_CAP_MB = 32;
/** The short pair has this many times fewer points (as the memory benchmark's 2M vs 10M). */
const SHORT_RATIO = 5;

export interface ReproduceBenchOptions {
  /** Points per metric of the long pair (the issue: 1M). */
  points: number;
  /** Also time the MNIST fast run and the rebuild of its code. */
  mnist: boolean;
}

/**
 * Runs 1, 2: x = i and loss = 1/(i+1) at step i, N points each; run 3 parts
 * from them at step 10 in both metrics; runs 4, 5: N/5 points.
 */
async function writeRuns(dir: string, points: number): Promise<void> {
  const ex = new Experiment('bench-compare').config({ points, partAt: -1 }).main(({ config, run }) => {
    for (let i = 0; i < config.points; i++) {
      const shift = i === config.partAt ? 0.5 : 0;
      run.logScalar('x', i + shift, i);
      run.logScalar('loss', 1 / (i + 1) + shift, i);
    }
  });
  ex.observe(new FileStorageObserver(dir));
  const short = Math.max(1, Math.round(points / SHORT_RATIO));
  const runs = [{}, {}, { partAt: DIVERGES_AT }, { points: short }, { points: short }];
  for (const updates of runs) await ex.run({ configUpdates: { seed: 1, ...updates }, options: { loglevel: 'ERROR' } });
}

async function compareInChild(
  dir: string,
  a: number,
  b: number,
  stop = false,
  flags: string[] = [],
): Promise<CompareFigure> {
  const subject = path.join(ROOT, 'bench', 'compare-subject.ts');
  const args = [...flags, '--expose-gc', '--conditions=@ritual/source', '--import', 'tsx', subject];
  const runs = [dir, String(a), String(b), ...(stop ? ['--stop'] : [])];
  const child = await runChild(process.execPath, [...args, ...runs], { cwd: ROOT });
  return parseResult<CompareFigure>(child, `compare runs ${a} and ${b}`);
}

async function seriesComparison(points: number): Promise<BenchResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ritual-bench-compare-'));
  try {
    await writeRuns(dir, points);
    const long = await compareInChild(dir, 1, 2);
    const short = await compareInChild(dir, 4, 5);
    const parted = await compareInChild(dir, 1, 3, true);
    const capped = await compareInChild(dir, 1, 2, false, [`--max-old-space-size=${HEAP_CAP_MB}`]).catch(
      (error: unknown) => ({ error: error instanceof Error ? error.message.split('\n')[0]! : String(error) }),
    );
    if (!long.same || !short.same || parted.divergenceIndex !== DIVERGES_AT) {
      throw new Error(`unexpected comparison: ${JSON.stringify({ long, short, parted })}`);
    }
    const bounded = long.peakRssGrowthMb <= short.peakRssGrowthMb * 1.5 + SLACK_MB;
    const size = millions(points);
    const shortSize = millions(points / SHORT_RATIO);
    return {
      figures: [
        {
          benchmark: 'reproduce',
          name: `compare 2 runs, ${size} points per metric`,
          unit: 'ms',
          ours: long.ms,
          peer: null,
          target: '< 1000 ms',
          pass: long.ms < 1000,
          note:
            `compareRuns, file store, 2 metrics (${long.points} points per run), every point read; CPU ` +
            `${long.cpuMs.toFixed(0)} ms (the process's, incl. its GC threads). ${shortSize} points per metric: ` +
            `${short.ms.toFixed(0)} ms, CPU ${short.cpuMs.toFixed(0)} ms.`,
        },
        {
          benchmark: 'reproduce',
          name: `compare, peak RSS growth, ${size} points per metric`,
          unit: 'MB',
          ours: long.peakRssGrowthMb,
          peer: null,
          target: 'bounded (not growing with points)',
          pass: bounded,
          note:
            `peak − level before compareRuns, sampled every 2 ms in a fresh process; heap ` +
            `${long.peakHeapGrowthMb.toFixed(0)} MB. ${shortSize} points per metric: RSS ` +
            `${short.peakRssGrowthMb.toFixed(0)} MB, heap ${short.peakHeapGrowthMb.toFixed(0)} MB; bounded = ${size} ` +
            `≤ 1.5 × that + ${SLACK_MB} MB. Raw points of the two runs: ` +
            `${((points * 2 * 2 * 24) / 2 ** 20).toFixed(0)} MB.`,
        },
        {
          benchmark: 'reproduce',
          name: `compare under a ${HEAP_CAP_MB} MB old-space cap, ${size} points per metric`,
          unit: 'ms',
          ours: 'ms' in capped ? capped.ms : null,
          peer: null,
          target: 'completes',
          pass: 'ms' in capped && capped.same,
          note:
            'ms' in capped
              ? `node --max-old-space-size=${HEAP_CAP_MB}: the series never live in memory whole ` +
                '(slower: V8 collects more often).'
              : `failed under the cap: ${capped.error}`,
        },
        {
          benchmark: 'reproduce',
          name: `first divergence at step ${DIVERGES_AT}, ${size} points`,
          unit: 'ms',
          ours: parted.ms,
          peer: null,
          target: '',
          pass: null,
          note:
            `as ritual reproduce compares (stopAtDivergence): ${(long.ms / parted.ms).toFixed(1)}x faster than ` +
            'reading every point (both metrics part there).',
        },
      ],
      details: { long, short, parted, capped },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function mnistOverhead(): Promise<BenchResult> {
  const runs = await mkdtemp(path.join(tmpdir(), 'ritual-bench-reproduce-'));
  try {
    const example = path.join(ROOT, 'examples', 'mnist');
    const trainStart = performance.now();
    await promisify(execFile)(
      process.execPath,
      ['--conditions=@ritual/source', '--import', 'tsx', 'train.ts', 'with', 'fast', 'backend=wasm', '-F', runs],
      { cwd: example, env: { ...process.env, INIT_CWD: example } },
    );
    const trainMs = performance.now() - trainStart;
    const store = await openStore(runs);
    const run = await store.get(1);
    const rebuildStart = performance.now();
    const code = await rebuildCode(store, run);
    await checkEnvironment(store, run, code.dir);
    const rebuildMs = performance.now() - rebuildStart;
    const compareStart = performance.now();
    // The run against itself: the same reads and md5s as against its reproduction.
    const comparison = await compareRuns(store, 1, 1);
    const compareMs = performance.now() - compareStart;
    await rm(code.dir, { recursive: true, force: true });
    await store.close();
    const overhead = rebuildMs + compareMs;
    return {
      figures: [
        {
          benchmark: 'reproduce',
          name: 'MNIST fast run: rebuild + checks + compare',
          unit: 'ms',
          ours: overhead,
          peer: null,
          target: '< 1000 ms',
          pass: overhead < 1000,
          note:
            `rebuild + checks ${rebuildMs.toFixed(0)} ms, compare ${compareMs.toFixed(0)} ms ` +
            `(${comparison.metrics.length} metrics, ${comparison.artifacts.length} artifacts) beside ` +
            `${(trainMs / 1000).toFixed(1)} s of training (ratio ${(overhead / trainMs).toFixed(3)}); wasm backend.`,
        },
      ],
      details: { trainMs, rebuildMs, compareMs },
    };
  } finally {
    await rm(runs, { recursive: true, force: true });
  }
}

export async function runReproduceBench(options: ReproduceBenchOptions): Promise<BenchResult> {
  const series = await seriesComparison(options.points);
  const mnist = options.mnist ? await mnistOverhead() : { figures: [], details: null };
  return { figures: [...series.figures, ...mnist.figures], details: { series: series.details, mnist: mnist.details } };
}

function millions(n: number): string {
  return n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { values } = parseArgs({ options: { points: { type: 'string', default: '1000000' } } });
  const result = await runReproduceBench({ points: Number(values.points), mnist: true });
  for (const figure of result.figures) {
    const target = figure.target ? ` (target ${figure.target})` : '';
    console.log(`${figure.name}: ${figure.ours?.toFixed(1)} ${figure.unit}${target}`);
    if (figure.note) console.log(`  ${figure.note}`);
  }
}
