/**
 * Benchmark 3, heartbeat cost against run length: one file-observer beat
 * (the new points + the heartbeat) after 10k, 100k and 1M stored points.
 * ritual's side is bench/heartbeat-cost.ts (its owner's module), Sacred's is
 * bench/peers/sacred/heartbeat.py; both flush the same number of new points.
 */
import type { BenchResult, Figure } from '../report.js';
import { sacredHeartbeat } from './sacred-heartbeat.js';

export interface HeartbeatPairOptions {
  sizes: number[];
  /** New points per timed beat. */
  batch: number;
  /** Timed beats per size for Sacred (ritual times 4x as many: its beats take milliseconds). */
  repeats: number;
}

/** Flat: the beat after the longest run costs at most this many times the beat after the shortest... */
const FLAT_FACTOR = 2;
/** ...or at most this much more, for beats so cheap that timer noise dominates. */
const FLAT_SLACK_MS = 5;

export async function runHeartbeatPair(options: HeartbeatPairOptions): Promise<BenchResult> {
  const { runHeartbeatBench } = await import('../heartbeat-cost.js');
  const ours = await runHeartbeatBench({ sizes: options.sizes, batch: options.batch, beats: options.repeats * 4 });
  const peer = await sacredHeartbeat(options);
  const figures: Figure[] = ours.map((row) => ({
    benchmark: 'heartbeat',
    name: `one beat after ${label(row.storedPoints)} points`,
    unit: 'ms',
    ours: row.medianMs,
    peer: peer.find((p) => p.storedPoints === row.storedPoints)?.medianMs ?? null,
    target: '',
    pass: null,
  }));
  const first = ours[0];
  const last = ours.at(-1);
  if (first && last) {
    const flat = last.medianMs <= Math.max(first.medianMs * FLAT_FACTOR, first.medianMs + FLAT_SLACK_MS);
    const sacredFirst = peer[0]?.medianMs;
    const sacredLast = peer.at(-1)?.medianMs;
    figures.push({
      benchmark: 'heartbeat',
      name: `growth ${label(first.storedPoints)} -> ${label(last.storedPoints)} points`,
      unit: 'x',
      ours: last.medianMs / first.medianMs,
      peer: sacredFirst && sacredLast ? sacredLast / sacredFirst : null,
      target: 'flat for ritual',
      pass: flat,
      note: `median beat time after the most stored points / after the fewest; each beat flushes ${options.batch} new points then heartbeats (ritual: ${options.repeats * 4} beats per size, Sacred: ${options.repeats}). Flat = at most ${FLAT_FACTOR}x or +${FLAT_SLACK_MS} ms.`,
    });
  }
  return { figures, details: { ritual: ours, sacred: peer } };
}

function label(points: number): string {
  return points >= 1e6 ? `${points / 1e6}M` : points >= 1e3 ? `${points / 1e3}k` : String(points);
}
