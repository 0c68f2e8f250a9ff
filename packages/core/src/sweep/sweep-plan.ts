/**
 * A sweep's runs: the `with` words of each run, from the axes the sweep grammar found. A grid takes
 * every combination once (the last axis varies fastest, as Hydra and itertools.product do); `--samples
 * N` draws N points, each axis independently, from a generator seeded by the sweep seed, so the same
 * `--sweep-seed` repeats the same draws. Each run also gets a seed of its own, derived from the sweep
 * seed (unless `seed` is given or swept), so a whole sweep is reproduced by its sweep seed.
 */
import { randomUUID } from 'node:crypto';
import { CommandLineError } from '../errors.js';
import { newRootSeed, seededStream } from '../seeding.js';
import { parseSweepValue, sweepSyntaxError, type SweepAxis } from './sweep-syntax.js';

/** A sweep bigger than this is surely a typo (`range(0, 100000)` twice). */
const MAX_SWEEP_SIZE = 100_000;

export interface SweepPoint {
  /** 0-based position in the sweep. */
  index: number;
  /** The swept values of this run, in command-line order: [dotted path, value]. */
  assignments: Array<[string, unknown]>;
  /** The run's root seed, or null when the command line fixes or sweeps `seed`. */
  seed: number | null;
  /** The `with` words of this run: the fixed words as typed, each axis as `path=<its value as JSON>`. */
  words: string[];
}

export interface SweepPlan {
  /** Names the sweep in every run's `meta.sweep.id` (`ritual ls --sweep ID`). */
  id: string;
  /** Seeds the random draws and the runs' seeds; recorded as `meta.sweep.seed`. */
  seed: number;
  mode: 'grid' | 'random';
  points: SweepPoint[];
}

export interface SweepRequest {
  /** `--samples N`: draw N random points instead of the grid. */
  samples?: number;
  /** `--sweep-seed S`; a fresh one (from node:crypto) when absent. */
  sweepSeed?: number;
}

type Word = { fixed: string } | { path: string; axis: SweepAxis };

/** Reads the `with` words of a `--multirun` command line and lists its runs. */
export function planSweep(withWords: readonly string[], request: SweepRequest = {}): SweepPlan {
  const words: Word[] = withWords.map((token) => {
    const equals = token.indexOf('=');
    if (equals < 0) return { fixed: token };
    const axis = parseSweepValue(token, equals + 1);
    if (axis === null) return { fixed: token };
    if (axis.kind !== 'grid' && request.samples === undefined) {
      const at = equals + 1 + (token.slice(equals + 1).length - token.slice(equals + 1).trimStart().length);
      throw sweepSyntaxError(token, at, `${axis.kind}() draws at random; add --samples N to draw N runs.`);
    }
    return { path: token.slice(0, equals).trim(), axis };
  });
  const axes = words.filter((word): word is { path: string; axis: SweepAxis } => 'axis' in word);
  const seedGiven = words.some((word) => ('fixed' in word ? /^\s*seed\s*=/.test(word.fixed) : word.path === 'seed'));
  const sweepSeed = request.sweepSeed ?? newRootSeed();
  const choices =
    request.samples === undefined
      ? gridChoices(axes.map((a) => a.axis))
      : sampleChoices(axes, request.samples, sweepSeed);
  const seeds = seededStream(`ritual-sweep-run-seeds:${sweepSeed}`);
  const points = choices.map((values, index): SweepPoint => {
    let next = 0;
    const assignments: Array<[string, unknown]> = axes.map((axis, i) => [axis.path, values[i]]);
    const runWords = words.map((word) => {
      if ('fixed' in word) return word.fixed;
      const [path, value] = assignments[next++]!;
      return `${path}=${JSON.stringify(value)}`;
    });
    // Drawn for every point, used or not, so a run's seed depends only on the sweep seed and its index.
    const seed = 1 + Math.floor(seeds() * 1e9);
    return {
      index,
      assignments,
      seed: seedGiven ? null : seed,
      words: seedGiven ? runWords : [...runWords, `seed=${seed}`],
    };
  });
  return {
    id: randomUUID().slice(0, 8),
    seed: sweepSeed,
    mode: request.samples === undefined ? 'grid' : 'random',
    points,
  };
}

function gridChoices(axes: SweepAxis[]): unknown[][] {
  const size = axes.reduce((product, axis) => product * (axis.kind === 'grid' ? axis.values.length : 1), 1);
  if (size > MAX_SWEEP_SIZE) {
    throw new CommandLineError(
      `This grid has ${size} runs; at most ${MAX_SWEEP_SIZE}. Sweep fewer values, or draw some with --samples N.`,
    );
  }
  let combinations: unknown[][] = [[]];
  for (const axis of axes) {
    const values = axis.kind === 'grid' ? axis.values : [];
    combinations = combinations.flatMap((prefix) => values.map((value) => [...prefix, value]));
  }
  return combinations;
}

function sampleChoices(axes: Array<{ axis: SweepAxis }>, samples: number, sweepSeed: number): unknown[][] {
  if (samples > MAX_SWEEP_SIZE)
    throw new CommandLineError(`--samples ${samples} is too many; at most ${MAX_SWEEP_SIZE}.`);
  const draw = seededStream(`ritual-sweep-draws:${sweepSeed}`);
  return Array.from({ length: samples }, () => axes.map(({ axis }) => drawValue(axis, draw)));
}

function drawValue(axis: SweepAxis, draw: () => number): unknown {
  const u = draw();
  switch (axis.kind) {
    case 'grid':
      return axis.values[Math.floor(u * axis.values.length)];
    case 'uniform':
      return axis.low + u * (axis.high - axis.low);
    case 'loguniform':
      return Math.exp(Math.log(axis.low) + u * (Math.log(axis.high) - Math.log(axis.low)));
    case 'randint':
      return axis.low + Math.floor(u * (axis.high - axis.low + 1));
  }
}
