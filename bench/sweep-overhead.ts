/**
 * Per-run overhead of a `--multirun` sweep over running the same configs one by one by hand (issue 17):
 * N runs of bench/sweep-subject.ts as N separate commands, then as one `-M` sweep of N configs (both
 * store with -F into a fresh folder, both under tsx), alternating arms in each round so that load from
 * other jobs falls on both. The sweep adds its own process (parsing, checking each config, spawning)
 * and the ranking; the figure is its extra wall time divided by N, and the ratio of the two arms.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './report.js';
import { median } from './statistics.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SUBJECT = join(HERE, 'sweep-subject.ts');
const NODE_ARGS = ['--conditions=@ritual/source', '--import', 'tsx', SUBJECT];
/** The target: a sweep costs at most this much over the same runs by hand. */
const TARGET_RATIO = 1.15;

function run(args: string[]): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: dirname(HERE), stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`sweep-subject ${args.join(' ')} exited with ${code}`));
      else resolve(performance.now() - start);
    });
  });
}

export async function runSweepOverheadBench(options: { runs: number; rounds: number }): Promise<BenchResult> {
  const { runs, rounds } = options;
  const hidden = Array.from({ length: runs }, (_, i) => i + 1);
  const byHand: number[] = [];
  const swept: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const scratch = await mkdtemp(join(tmpdir(), 'ritual-bench-sweep-'));
    try {
      const arms = [
        async () => {
          let total = 0;
          for (const h of hidden) total += await run(['with', `hidden=${h}`, '-F', join(scratch, 'hand')]);
          byHand.push(total);
        },
        async () => {
          swept.push(await run(['-M', 'with', `hidden=${hidden.join(',')}`, '-F', join(scratch, 'sweep')]));
        },
      ];
      // Alternate which arm goes first, so a load spike is not always on one side.
      if (round % 2 === 1) arms.reverse();
      for (const arm of arms) await arm();
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  const hand = median(byHand);
  const sweep = median(swept);
  const ratio = sweep / hand;
  const note = `${runs} runs, median of ${rounds} rounds, arms alternating; by hand ${hand.toFixed(0)} ms, sweep ${sweep.toFixed(0)} ms in all`;
  return {
    figures: [
      {
        benchmark: 'sweep',
        name: 'sweep overhead per run',
        unit: 'ms',
        ours: (sweep - hand) / runs,
        peer: null,
        target: 'context (see the ratio)',
        pass: null,
        note,
      },
      {
        benchmark: 'sweep',
        name: 'sweep / the same runs by hand',
        unit: 'x',
        ours: ratio,
        peer: null,
        target: `<= ${TARGET_RATIO}x`,
        pass: ratio <= TARGET_RATIO,
        note,
      },
    ],
    details: { runs, rounds, byHandMs: byHand, sweepMs: swept },
  };
}
