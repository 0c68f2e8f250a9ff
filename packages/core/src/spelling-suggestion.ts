import { createRequire } from 'node:module';

/**
 * "Did you mean …?" for a mistyped option, command, named config or config
 * key. fastest-levenshtein is loaded on the first typo, not with ritual:
 * importing a CommonJS package from ESM lexes it first, and a run that is
 * typed correctly never needs it (start-up benchmark, issue 7).
 */
let levenshtein: typeof import('fastest-levenshtein') | undefined;

/** The candidate closest to `word` by edit distance (the first on ties), when at most `maxDistance` edits away. */
export function closestSpelling(word: string, candidates: readonly string[], maxDistance: number): string | undefined {
  if (candidates.length === 0) return undefined;
  levenshtein ??= createRequire(import.meta.url)('fastest-levenshtein') as typeof import('fastest-levenshtein');
  const best = levenshtein.closest(word, [...candidates]);
  return levenshtein.distance(word, best) <= maxDistance ? best : undefined;
}
