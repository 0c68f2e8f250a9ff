/**
 * Per-run overhead of a `--multirun` sweep over running the same configs one by one by hand (issue 17):
 * N runs of bench/sweep-subject.ts as N separate commands, then as one `-M` sweep of N configs (both
 * store with -F into a fresh folder, both under tsx), alternating arms in each round so that load from
 * other jobs falls on both. The sweep adds its own process (parsing, checking each config, spawning)
 * and the ranking; the figure is its extra wall time divided by N, and the ratio of the two arms.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './report.js';
import { median } from './statistics.js';
import { runSweepSubject } from './sweep-subject-run.js';

/** The target: a sweep costs at most this much over the same runs by hand. */
const TARGET_RATIO = 1.15;

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
          for (const h of hidden) total += await runSweepSubject(['with', `hidden=${h}`, '-F', join(scratch, 'hand')]);
          byHand.push(total);
        },
        async () => {
          swept.push(await runSweepSubject(['-M', 'with', `hidden=${hidden.join(',')}`, '-F', join(scratch, 'sweep')]));
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
