/**
 * What `ritual reproduce` costs beyond the run itself, in one process run:
 * 1. compareRuns on two runs of 1M points per metric (2 metrics, file store):
 *    time and memory (RSS and heap growth) of the comparison;
 * 2. on the MNIST example's fast run: rebuild (sources, node_modules links,
 *    environment checks) + compare, beside the time of the training run.
 *
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

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MB = 1024 * 1024;

async function seriesComparison(points: number): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ritual-bench-compare-'));
  try {
    const ex = new Experiment('bench-compare').config({ points }).main(({ config, run }) => {
      for (let i = 0; i < config.points; i++) {
        run.logScalar('x', i, i);
        run.logScalar('loss', 1 / (i + 1), i);
      }
    });
    ex.observe(new FileStorageObserver(dir));
    for (let r = 0; r < 2; r++) await ex.run({ configUpdates: { seed: 1 }, options: { loglevel: 'ERROR' } });
    const store = await openStore(dir);
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    const heap0 = process.memoryUsage().heapUsed;
    const start = performance.now();
    const comparison = await compareRuns(store, 1, 2);
    const ms = performance.now() - start;
    const rss1 = process.memoryUsage().rss;
    const heap1 = process.memoryUsage().heapUsed;
    await store.close();
    const stored = comparison.metrics.reduce((n, m) => n + (m.pointsA ?? 0), 0);
    console.log(
      `compare: 2 runs x ${comparison.metrics.length} metrics x ${points} points (${stored} points per run), ` +
        `same=${comparison.same}`,
    );
    console.log(
      `  ${ms.toFixed(0)} ms (target < 1000 ms), RSS +${((rss1 - rss0) / MB).toFixed(0)} MB, heap ` +
        `+${((heap1 - heap0) / MB).toFixed(0)} MB`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function mnistOverhead(): Promise<void> {
  const runs = await mkdtemp(path.join(tmpdir(), 'ritual-bench-reproduce-'));
  try {
    const example = path.join(ROOT, 'examples', 'mnist');
    const trainStart = performance.now();
    await promisify(execFile)(
      process.execPath,
      ['--conditions=@ritual/source', '--import', 'tsx', 'train.ts', 'with', 'fast', 'backend=wasm', '-F', runs],
      {
        cwd: example,
        env: { ...process.env, INIT_CWD: example },
      },
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
    console.log(
      `mnist fast: training run ${trainMs.toFixed(0)} ms; rebuild + checks ${rebuildMs.toFixed(0)} ms; compare ` +
        `${compareMs.toFixed(0)} ms`,
    );
    console.log(
      `  (${comparison.metrics.length} metrics, ${comparison.artifacts.length} artifacts); overhead ` +
        `${(rebuildMs + compareMs).toFixed(0)} ms (target < 1000 ms), ratio to the run ` +
        `${((rebuildMs + compareMs) / trainMs).toFixed(3)}`,
    );
  } finally {
    await rm(runs, { recursive: true, force: true });
  }
}

const { values } = parseArgs({ options: { points: { type: 'string', default: '1000000' } } });
await seriesComparison(Number(values.points));
await mnistOverhead();
