/**
 * The benchmark suite: every figure of issue 7, ritual beside Python's Sacred
 * 0.8.7, in one run, printed as a table and written to
 * bench/results/latest.json with the machine it was measured on.
 *
 *   npm run bench                      all benchmarks, full sizes (~25 minutes on 2 busy cores, peers ~10)
 *   npm run bench -- --smoke           each once with tiny sizes (CI; also RITUAL_BENCH_SMOKE=1)
 *   npm run bench -- --only startup    one benchmark
 *   npm run bench -- --markdown bench/RESULTS.md   also write the table as Markdown
 *
 * Targets are reported, never enforced: these machines are noisy, so a missed
 * target is a row marked MISS, not a failed suite. The exit code is non-zero
 * only when a benchmark could not run at all (so the smoke run catches rot).
 */
import { writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBoardBench } from './board.js';
import { runLogScalarBench } from './log-scalar.js';
import { runMemoryBench } from './memory.js';
import { runHeartbeatPair } from './peers/heartbeat-pair.js';
import { runMongoPair } from './peers/mongo-pair.js';
import { runPeerTrackersBench } from './peer-trackers.js';
import { sacredVersions } from './peers/sacred.js';
import { runTrainingPair } from './peers/training-pair.js';
import {
  currentCommit,
  formatMarkdown,
  formatTable,
  machineFacts,
  writeReport,
  type BenchFailure,
  type BenchResult,
  type Figure,
  type SuiteReport,
} from './report.js';
import { runReproduceBench } from './reproduce-overhead.js';
import { runRunListingBench } from './run-listing.js';
import { runStartupBench } from './startup.js';
import { runSystemSamplingBench } from './system-sampling.js';
import { runSweepOverheadBench } from './sweep-overhead.js';
import { runQueueBench } from './queue-claim.js';
import { runRunStartCostBench } from './run-start-cost.js';

const HERE = dirname(fileURLToPath(import.meta.url));

interface Benchmark {
  name: string;
  run: (smoke: boolean) => Promise<BenchResult>;
}

/** In the issue's order. Smoke sizes only prove that each benchmark still runs end to end. */
const BENCHMARKS: Benchmark[] = [
  { name: 'startup', run: (smoke) => runStartupBench({ repeats: smoke ? 1 : 15 }) },
  { name: 'run-start', run: (smoke) => runRunStartCostBench({ runs: smoke ? 2 : 20 }) },
  {
    name: 'log-scalar',
    run: (smoke) =>
      runLogScalarBench(
        smoke
          ? { repeats: 1, ritualCalls: 200_000, sacredCalls: 5_000 }
          : { repeats: 3, ritualCalls: 5_000_000, sacredCalls: 500_000 },
      ),
  },
  {
    name: 'heartbeat',
    run: (smoke) =>
      runHeartbeatPair(
        smoke
          ? { sizes: [1_000, 10_000], batch: 100, repeats: 1 }
          : { sizes: [10_000, 100_000, 1_000_000], batch: 100, repeats: 3 },
      ),
  },
  {
    name: 'mongo',
    run: (smoke) =>
      runMongoPair(
        smoke
          ? { points: 20_000, batch: 5_000, metrics: 4, repeats: 1 }
          : { points: 200_000, batch: 10_000, metrics: 4, repeats: 2 },
      ),
  },
  { name: 'training', run: (smoke) => runTrainingPair({ repeats: smoke ? 1 : 10, smoke }) },
  {
    name: 'system-sampling',
    run: (smoke) => runSystemSamplingBench(smoke ? { samples: 3, pairs: 1, smoke } : { samples: 20, pairs: 6 }),
  },
  {
    name: 'memory',
    run: (smoke) =>
      runMemoryBench(
        smoke
          ? { points: 200_000, shortPoints: 40_000, rate: 200_000 }
          : { points: 10_000_000, shortPoints: 2_000_000, rate: 1_000_000 },
      ),
  },
  { name: 'reproduce', run: (smoke) => runReproduceBench({ points: smoke ? 20_000 : 1_000_000, mnist: true }) },
  { name: 'sweep', run: (smoke) => runSweepOverheadBench(smoke ? { runs: 2, rounds: 1 } : { runs: 8, rounds: 4 }) },
  {
    name: 'run-listing',
    run: (smoke) => runRunListingBench(smoke ? { runs: 30, repeats: 1 } : { runs: 10_000, repeats: 5 }),
  },
  {
    name: 'board',
    run: (smoke) =>
      runBoardBench(smoke ? { points: 50_000, runs: 20, beats: 2 } : { points: 10_000_000, runs: 10_000, beats: 8 }),
  },
  {
    name: 'queue',
    run: (smoke) =>
      runQueueBench(
        smoke
          ? { sizes: [100, 1000], claims: 50, runs: 2, rounds: 1 }
          : { sizes: [1000, 10_000], claims: 200, runs: 8, rounds: 2 },
      ),
  },
  {
    name: 'peers',
    run: (smoke) =>
      runPeerTrackersBench(
        smoke
          ? {
              repeats: 1,
              callSeconds: 0.2,
              bigPoints: 2_000,
              bigRepeats: 1,
              finishPoints: 1_000,
              // CI does not pay the install (~2 minutes) nor the trackers' runs: skipped, saying so, unless asked.
              trackers: process.env.RITUAL_BENCH_TRACKERS_INSTALL === '1' ? 'install' : 'off',
            }
          : {
              repeats: 3,
              callSeconds: 2,
              bigPoints: 1_000_000,
              bigRepeats: 1,
              finishPoints: 100_000,
              trackers: 'install',
            },
      ),
  },
];

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      out: { type: 'string' },
      markdown: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      `usage: npm run bench -- [--smoke] [--only NAME]... [--out FILE.json] [--markdown FILE.md]\nbenchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`,
    );
    return 0;
  }
  const smoke = values.smoke || process.env.RITUAL_BENCH_SMOKE === '1';
  const selected = selectBenchmarks(values.only ?? []);
  // A smoke run must never overwrite the real figures.
  const out = values.out ?? (smoke ? join(tmpdir(), 'ritual-bench-smoke.json') : join(HERE, 'results', 'latest.json'));

  const atStart = { load: loadavg()[0] ?? 0, gitCommit: await currentCommit() };
  const figures: Figure[] = [];
  const failures: BenchFailure[] = [];
  const details: Record<string, unknown> = {};
  for (const benchmark of selected) {
    const started = performance.now();
    process.stderr.write(`bench: ${benchmark.name}${smoke ? ' (smoke)' : ''}...\n`);
    try {
      const result = await benchmark.run(smoke);
      // Tiny sizes say nothing about the targets: a smoke run shows numbers, never pass/MISS.
      figures.push(...(smoke ? result.figures.map((figure) => ({ ...figure, pass: null })) : result.figures));
      details[benchmark.name] = result.details;
    } catch (error) {
      failures.push({
        benchmark: benchmark.name,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      process.stderr.write(
        `bench: ${benchmark.name} FAILED: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
    process.stderr.write(`bench: ${benchmark.name} took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }

  const versions = await sacredVersions().catch(() => null);
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  const trackers = (details.peers as { versions?: Record<string, string> } | undefined)?.versions;
  const report: SuiteReport = {
    command,
    smoke,
    machine: { ...(await machineFacts(versions, atStart)), ...(trackers ? { trackers } : {}) },
    figures,
    failures,
    details,
  };
  process.stdout.write(`\n${formatTable(report)}\n\n`);
  await writeReport(out, report);
  process.stdout.write(`written ${out}\n`);
  if (values.markdown) {
    await writeFile(values.markdown, `${formatMarkdown(report)}\n`);
    process.stdout.write(`written ${values.markdown}\n`);
  }
  return failures.length > 0 ? 1 : 0;
}

function selectBenchmarks(names: string[]): Benchmark[] {
  if (names.length === 0) return BENCHMARKS;
  return names.map((name) => {
    const found = BENCHMARKS.find((b) => b.name === name);
    if (!found)
      throw new Error(
        `Unknown benchmark ${JSON.stringify(name)}. Choose from: ${BENCHMARKS.map((b) => b.name).join(', ')}.`,
      );
    return found;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
