/**
 * How deep a config may nest: at most MAX_CONFIG_DEPTH keys or array indices
 * from the top of the config to any value (`with a.b.c=1` puts 1 at depth 3).
 */

/**
 * Why a limit at all: the config is written where other programs must read
 * it back, and past some depth they cannot. MongoDB refuses documents nested
 * more than 100 levels, and a run document holds the config one level down
 * (queued runs, journal entries and `$set` updates wrap it further); Sacred
 * and incense walk configs recursively in Python (recursion limit 1,000,
 * several frames per level); the YAML flow parser and ritual's own observers
 * recurse per level too (2,000 levels overflowed the stack of both observers
 * after the run had started). Why 64: far beyond any real config (a deep model
 * spec is 5-10 levels), with a wide margin under every one of those readers.
 * A config refused before the run starts beats a run whose observers fail.
 */
export const MAX_CONFIG_DEPTH = 64;

/** What to do instead, for every depth refusal. */
export const DEPTH_ADVICE =
  `a config may nest at most ${MAX_CONFIG_DEPTH} levels. ` +
  'Flatten it (e.g. `a_b=1` instead of `a.b=1`), or keep deep data in a file and add it with run.addArtifact.';

/** A long path or token cut to fit in a one-line message: its start, `…`, its end. */
export function abbreviate(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max - 16)}…${text.slice(-15)}`;
}

const OPENERS = new Set(['[', '{']);
const CLOSERS = new Set([']', '}']);
/** Characters after which a quote starts a quoted scalar in a YAML/JSON flow (elsewhere, as in `it's`, it is text). */
const TOKEN_STARTS = new Set(['[', '{', ',', ':', ' ', '\t', '\n', '\r']);

/**
 * The deepest bracket nesting of a JSON/YAML flow text (`[[1]]` is 2),
 * ignoring brackets inside quoted strings; stops counting once past `limit`.
 * Iterative, so that a text nested a million levels deep is measured without
 * the recursion that makes a parser overflow.
 */
export function flowNestingDepth(text: string, limit = MAX_CONFIG_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote !== null) {
      if (quote === '"' && char === '\\') i++;
      else if (char === quote) quote = null;
      continue;
    }
    if ((char === '"' || char === "'") && (i === 0 || TOKEN_STARTS.has(text[i - 1]!))) {
      quote = char;
    } else if (OPENERS.has(char)) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (CLOSERS.has(char)) {
      depth--;
    }
  }
  return deepest;
}
