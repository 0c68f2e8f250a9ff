/**
 * Benchmark 6, memory: RSS growth over a run logging millions of points with
 * a 1-second heartbeat and a file observer, in a child process that samples
 * its own RSS. Measured at two run lengths with the same rate: if flushed
 * data were kept, growth would scale with the length; bounded means it does
 * not.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResult, runChild } from './peers/child-process.js';
import { bundleRitualSubject } from './peers/ritual-bundle.js';
import { assertCompletedRun } from './peers/run-folder-check.js';
import type { BenchResult } from './report.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Noise allowance on top of "the long run grows no more than the short one". */
const SLACK_MB = 32;

export interface MemoryOptions {
  /** Points of the long run (the issue: 10 million). */
  points: number;
  /** Points of the short comparison run. */
  shortPoints: number;
  /** Points per second. */
  rate: number;
}

interface MemoryFigure {
  points: number;
  seconds: number;
  baselineMb: number;
  peakMb: number;
  endMb: number;
  growthMb: number;
  samplesMb: number[];
}

export async function runMemoryBench(options: MemoryOptions): Promise<BenchResult> {
  const bundle = await bundleRitualSubject(join(HERE, 'peers', 'ritual', 'memory.ts'));
  const scratch = await mkdtemp(join(tmpdir(), 'ritual-bench-memory-'));
  try {
    const measure = async (points: number): Promise<MemoryFigure> => {
      const runs = await mkdtemp(join(scratch, `${points}-`));
      const child = await runChild(process.execPath, ['--expose-gc', bundle], {
        env: {
          ...process.env,
          RITUAL_BENCH_RUNS: runs,
          RITUAL_BENCH_POINTS: String(points),
          RITUAL_BENCH_RATE: String(options.rate),
        },
      });
      await assertCompletedRun(runs, 'ritual');
      return parseResult<MemoryFigure>(child, 'ritual memory subject');
    };
    const short = await measure(options.shortPoints);
    const long = await measure(options.points);
    const bounded = long.growthMb <= short.growthMb * 1.5 + SLACK_MB;
    return {
      figures: [
        {
          benchmark: 'memory',
          name: `RSS growth, ${millions(options.points)} points`,
          unit: 'MB',
          ours: long.growthMb,
          peer: null,
          target: 'bounded (not growing with run length)',
          pass: bounded,
          note: `peak RSS − RSS at start of main, 1 s heartbeat, file observer, ${millions(options.rate)} points/s in batches of 10k (${long.seconds.toFixed(1)} s). Same rate for ${millions(options.shortPoints)} points grows ${short.growthMb.toFixed(0)} MB; bounded = long ≤ 1.5 × short + ${SLACK_MB} MB. Raw data of the long run: ${((options.points * 24) / 2 ** 20).toFixed(0)} MB.`,
        },
      ],
      details: {
        short: withoutSamples(short),
        long: withoutSamples(long),
        longSamplesMb: long.samplesMb.map((v) => Math.round(v)),
      },
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function withoutSamples({ samplesMb: _samples, ...rest }: MemoryFigure): Omit<MemoryFigure, 'samplesMb'> {
  return rest;
}

function millions(n: number): string {
  return n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`;
}
