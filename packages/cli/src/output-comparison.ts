/**
 * Whether two runs printed the same thing (`ritual reproduce --output`),
 * minus timings: a reproduction that took 2.1 s where the original took
 * 2.3 s printed "the same" output. What is taken out, each replaced by a
 * placeholder before the texts are compared line by line:
 *   - durations: a number with a time unit (`812ms`, `12us/step`, `3.5 s`,
 *     `2 min`), and clock durations such as Sacred's `0:00:05`;
 *   - dates and times of day (`2026-12-04T17:16:30.123Z`, `2026-12-04 17:16:30`).
 * And each run's base dir (where its sources were: a reproduction runs from
 * a scratch folder) becomes `<base_dir>` in its own output. Everything else
 * must match exactly, including anything that names the run itself (its id,
 * its folder in the store): such lines are reported as they are.
 */

export interface OutputComparison {
  same: boolean;
  /** Lines of each run's captured output. */
  linesA: number;
  linesB: number;
  /** The first line (1-based) that differs once timings are taken out, as each run printed it; null when the same. */
  divergence: { line: number; textA: string | null; textB: string | null } | null;
}

const DATE_TIME = /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g;
const CLOCK = /\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g;
const UNITS = 'ms|us|µs|μs|ns|s|sec|secs|seconds?|min|mins|minutes?|h|hours?';
const DURATION = new RegExp(`(?<![\\w.])\\d+(?:\\.\\d+)?(?:e[+-]?\\d+)?\\s?(?:${UNITS})(?![a-zA-Z])`, 'g');

/** The text with timings replaced by placeholders (see the top of this file). */
export function withoutTimings(text: string): string {
  return text.replace(DATE_TIME, '<time>').replace(CLOCK, '<duration>').replace(DURATION, '<duration>');
}

/** One run's captured output and the base dir it ran from. */
export interface PrintedOutput {
  text: string;
  baseDir?: string;
}

export function compareOutput(a: PrintedOutput, b: PrintedOutput): OutputComparison {
  const linesA = splitLines(a.text);
  const linesB = splitLines(b.text);
  const shared = Math.min(linesA.length, linesB.length);
  const normal = (line: string, baseDir: string | undefined): string =>
    withoutTimings(baseDir ? line.replaceAll(baseDir, '<base_dir>') : line);
  let line = -1;
  for (let i = 0; i < shared && line < 0; i++) {
    if (normal(linesA[i]!, a.baseDir) !== normal(linesB[i]!, b.baseDir)) line = i;
  }
  if (line < 0 && linesA.length !== linesB.length) line = shared;
  return {
    same: line < 0,
    linesA: linesA.length,
    linesB: linesB.length,
    divergence: line < 0 ? null : { line: line + 1, textA: linesA[line] ?? null, textB: linesB[line] ?? null },
  };
}

/** Lines as a terminal shows them: `\r\n` is one line end, and a final newline ends the last line. */
function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
