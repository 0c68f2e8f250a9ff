/**
 * Benchmark 2, logScalar in the training loop: calls per second with a file
 * observer attached, ritual's `run.logScalar` vs Sacred's `_run.log_scalar`,
 * plus what one ritual call allocates. Each side runs in its own process
 * (fresh heap, no JIT state from the suite), alternating, `repeats` times.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResult, runChild } from './peers/child-process.js';
import { bundleRitualSubject } from './peers/ritual-bundle.js';
import { assertCompletedRun } from './peers/run-folder-check.js';
import { runSacred } from './peers/sacred.js';
import type { BenchResult } from './report.js';
import { median } from './statistics.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TARGET_CALLS_PER_SECOND = 5_000_000;
const TARGET_RATIO = 10;

export interface LogScalarOptions {
  repeats: number;
  /** Calls in ritual's timed loop. */
  ritualCalls: number;
  /** Calls in Sacred's loop (Sacred is slower, and its final beat rewrites every point). */
  sacredCalls: number;
}

interface RitualFigure {
  calls: number;
  callsPerSecond: number;
  allocation: { calls: number; heapBytesPerCall: number; bufferBytesPerCall: number; collectionsDuringProbe: number };
}

export async function runLogScalarBench(options: LogScalarOptions): Promise<BenchResult> {
  const bundle = await bundleRitualSubject(join(HERE, 'peers', 'ritual', 'log-scalar.ts'));
  const scratch = await mkdtemp(join(tmpdir(), 'ritual-bench-logscalar-'));
  const ritual: RitualFigure[] = [];
  const sacred: number[] = [];
  try {
    for (let round = 0; round < options.repeats; round++) {
      const ritualRuns = await mkdtemp(join(scratch, 'ritual-'));
      const child = await runChild(process.execPath, ['--expose-gc', '--max-semi-space-size=64', bundle], {
        env: { ...process.env, RITUAL_BENCH_RUNS: ritualRuns, RITUAL_BENCH_CALLS: String(options.ritualCalls) },
      });
      await assertCompletedRun(ritualRuns, 'ritual');
      ritual.push(parseResult<RitualFigure>(child, 'ritual logScalar subject'));

      const sacredRuns = await mkdtemp(join(scratch, 'sacred-'));
      const peer = await runSacred('log_scalar.py', ['-F', sacredRuns, 'with', `calls=${options.sacredCalls}`]);
      await assertCompletedRun(sacredRuns, 'sacred');
      sacred.push(parseResult<{ callsPerSecond: number }>(peer, 'Sacred log_scalar peer').callsPerSecond);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  const ours = median(ritual.map((r) => r.callsPerSecond));
  const peer = median(sacred);
  const heapPerCall = median(ritual.map((r) => r.allocation.heapBytesPerCall));
  const bufferPerCall = median(ritual.map((r) => r.allocation.bufferBytesPerCall));
  const collections = Math.max(...ritual.map((r) => r.allocation.collectionsDuringProbe));
  return {
    figures: [
      {
        benchmark: 'log-scalar',
        name: 'logScalar calls/s, file observer',
        unit: 'calls/s',
        ours,
        peer,
        target: `>= ${TARGET_CALLS_PER_SECOND / 1e6}M/s and >= ${TARGET_RATIO}x Sacred`,
        pass: ours >= TARGET_CALLS_PER_SECOND && ours >= TARGET_RATIO * peer,
        note: `median of ${options.repeats} processes each; ritual ${options.ritualCalls} calls in chunks of 1M with an await between chunks (heartbeat every 1 s), Sacred ${options.sacredCalls} calls (default 10 s beat); only the loops are timed.`,
      },
      {
        benchmark: 'log-scalar',
        name: 'JS heap allocated per call',
        unit: 'bytes',
        ours: heapPerCall,
        peer: null,
        target: '~0 (append only)',
        // Under one byte a call: no object per call, only the stored numbers below.
        pass: collections === 0 ? heapPerCall < 1 : null,
        note: `${ritual[0]?.allocation.calls ?? 0} calls on a new metric after gc(); ${collections === 0 ? 'no collection ran during the probe' : `${collections} collection(s) ran during the probe, so this is a lower bound`}. The points themselves live in typed arrays outside the JS heap: ${bufferPerCall.toFixed(1)} bytes/call (3 doubles = 24 B, plus doubling growth).`,
      },
    ],
    details: { repeats: options.repeats, ritual, sacredCallsPerSecond: sacred },
  };
}
