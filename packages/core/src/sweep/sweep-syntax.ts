/**
 * The sweep half of `with` under `--multirun`, Hydra's grammar:
 *   lr=0.1,0.01            a grid axis (values split at top-level commas)
 *   n=range(1, 10, 2)      a grid axis: start, stop (excluded), step (default 1), as Python's range
 *   opt=choice(adam, sgd)  a grid axis spelled as a function (sampled uniformly under --samples)
 *   lr=uniform(0, 1)       random: a float in [a, b)
 *   lr=loguniform(1e-4, 1) random: a float whose log is uniform in [log a, log b)
 *   n=randint(1, 6)        random: an integer in [a, b], both ends included (as Python's random.randint)
 * Commas inside brackets, braces or quotes do not split (`shape=[1,2]` is one value); each value is read
 * as `with` reads one (parseUpdateValue). A mistake names the update and points at its character.
 */
import { CommandLineError } from '../errors.js';
import { parseUpdateValue } from '../commandline/update-value.js';

export type SweepAxis =
  | { kind: 'grid'; values: unknown[] }
  | { kind: 'uniform' | 'loguniform'; low: number; high: number }
  | { kind: 'randint'; low: number; high: number };

const FUNCTIONS = ['range', 'choice', 'uniform', 'loguniform', 'randint'] as const;
type SweepFunction = (typeof FUNCTIONS)[number];

/** Hydra refuses a range bigger than this is useful; a typo (`range(0, 1e9)`) should not fill memory. */
const MAX_RANGE_VALUES = 100_000;

/** The update and a caret under its `at`-th character, so the user sees which character is wrong. */
export function sweepSyntaxError(token: string, at: number, problem: string): CommandLineError {
  return new CommandLineError(
    `Bad sweep '${token}' at character ${at + 1}: ${problem}\n  ${token}\n  ${' '.repeat(at)}^\n` +
      'Sweeps look like lr=0.1,0.01 or n=range(1,5) or lr=loguniform(1e-4,1e-1) (see --help).',
  );
}

interface Piece {
  text: string;
  /** Offset of `text` (untrimmed) in the value. */
  start: number;
}

const CLOSERS: Record<string, string> = { '[': ']', '{': '}', '(': ')' };

/**
 * Splits at commas outside brackets and quotes; throws (with the offset) on an unclosed
 * bracket or quote, or a closing one with no opener.
 */
function splitTopLevel(text: string, fail: (at: number, problem: string) => never): Piece[] {
  const pieces: Piece[] = [];
  const open: Array<{ char: string; at: number }> = [];
  let quote: { char: string; at: number } | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote) {
      if (char === quote.char) quote = null;
      continue;
    }
    if (char === '"' || char === "'") quote = { char, at: i };
    else if (char in CLOSERS) open.push({ char, at: i });
    else if (char === ']' || char === '}' || char === ')') {
      const top = open.pop();
      if (!top || CLOSERS[top.char] !== char)
        fail(i, `'${char}' closes nothing${top ? ` ('${top.char}' is open)` : ''}.`);
    } else if (char === ',' && open.length === 0) {
      pieces.push({ text: text.slice(start, i), start });
      start = i + 1;
    }
  }
  if (quote) fail(quote.at, `the quote ${quote.char} is never closed.`);
  const unclosed = open.at(-1);
  if (unclosed) fail(unclosed.at, `'${unclosed.char}' is never closed.`);
  pieces.push({ text: text.slice(start), start });
  return pieces;
}

function leadingSpaces(text: string): number {
  return text.length - text.trimStart().length;
}

/**
 * The axis an update's value describes, or null when it is a plain value (fixed in every run).
 * `valueOffset` is where the value starts in `token`, for the caret.
 */
export function parseSweepValue(token: string, valueOffset: number): SweepAxis | null {
  const value = token.slice(valueOffset);
  const fail = (at: number, problem: string): never => {
    throw sweepSyntaxError(token, valueOffset + at, problem);
  };
  const call = /^\s*([A-Za-z_]\w*)\s*\(/.exec(value);
  const name = call?.[1];
  if (call && name !== undefined && (FUNCTIONS as readonly string[]).includes(name)) {
    const open = call[0].length - 1;
    const close = value.trimEnd().length - 1;
    if (value[close] !== ')') {
      // Let the bracket scan name an unclosed '(' first; otherwise something follows the ')'.
      splitTopLevel(value, fail);
      fail(close, `nothing may follow the ')' of ${name}(...).`);
    }
    const inner = value.slice(open + 1, close);
    const args = splitTopLevel(inner, (at, problem) => fail(open + 1 + at, problem));
    return functionAxis(name as SweepFunction, args, open + 1, fail);
  }
  const pieces = splitTopLevel(value, fail);
  if (pieces.length === 1) return null;
  const values = pieces.map((piece) => {
    if (piece.text.trim() === '') fail(piece.start, 'an empty value between commas.');
    return parseUpdateValue(piece.text);
  });
  return { kind: 'grid', values };
}

function functionAxis(
  name: SweepFunction,
  args: Piece[],
  argsOffset: number,
  fail: (at: number, problem: string) => never,
): SweepAxis {
  const at = (piece: Piece) => argsOffset + piece.start + leadingSpaces(piece.text);
  if (args.length === 1 && args[0]!.text.trim() === '') fail(argsOffset, `${name}() needs arguments.`);
  for (const piece of args) if (piece.text.trim() === '') fail(argsOffset + piece.start, 'an empty argument.');
  if (name === 'choice') return { kind: 'grid', values: args.map((piece) => parseUpdateValue(piece.text)) };
  const numbers = args.map((piece) => {
    const parsed = parseUpdateValue(piece.text);
    if (typeof parsed !== 'number') fail(at(piece), `${name}() takes numbers; '${piece.text.trim()}' is not one.`);
    return parsed as number;
  });
  const arity = name === 'range' ? [1, 3] : [2, 2];
  if (numbers.length < arity[0]! || numbers.length > arity[1]!) {
    const wanted = name === 'range' ? 'range(stop), range(start, stop) or range(start, stop, step)' : `${name}(a, b)`;
    fail(argsOffset + (args.at(-1)?.start ?? 0), `${name}() got ${numbers.length} arguments; write ${wanted}.`);
  }
  if (name === 'range') return rangeAxis(numbers, (problem) => fail(argsOffset, problem));
  const [low, high] = numbers as [number, number];
  if (!(low < high) && !(name === 'randint' && low === high))
    fail(at(args[1]!), `${name}(a, b) needs a < b; got ${low} and ${high}.`);
  if (name === 'loguniform' && low <= 0) fail(at(args[0]!), `loguniform(a, b) needs a > 0; got ${low}.`);
  if (name === 'randint' && (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)))
    fail(at(args[0]!), `randint(a, b) takes integers; got ${low} and ${high}.`);
  return { kind: name, low, high };
}

function rangeAxis(numbers: number[], fail: (problem: string) => never): SweepAxis {
  const [start, stop, step] = numbers.length === 1 ? [0, numbers[0]!, 1] : [numbers[0]!, numbers[1]!, numbers[2] ?? 1];
  if (step === 0) fail('range() needs a step other than 0.');
  // Rounded first: (0.4 - 0.1) / 0.1 is 3.0000000000000004, which would add a 0.4 that stop excludes.
  const count = Math.max(0, Math.ceil(Number(((stop - start) / step).toFixed(9))));
  if (count === 0) fail(`range(${start}, ${stop}, ${step}) is empty.`);
  if (count > MAX_RANGE_VALUES)
    fail(`range(${start}, ${stop}, ${step}) has ${count} values; at most ${MAX_RANGE_VALUES}.`);
  // start + i * step rather than repeated addition: 0.1 steps would drift (0.30000000000000004).
  const texts = [start, step].map(String);
  const decimals = Math.max(...texts.map((text) => (text.split('.')[1] ?? '').length));
  const exact = (n: number) =>
    texts.some((text) => text.includes('e')) ? n : Number(n.toFixed(Math.min(decimals, 15)));
  const values = Array.from({ length: count }, (_, i) => exact(start + i * step));
  return { kind: 'grid', values };
}
