import { UsageError } from '@ritual/core';

/**
 * When two metric values count as the same. With no tolerance (the default)
 * only the same float64 does: reproducibility is claimed bit for bit. A
 * tolerance is numpy's `isclose` rule, |a - b| <= atol + rtol * |b|, for
 * comparisons that cannot be bitwise (another backend, another machine).
 */
export interface Tolerance {
  /** Relative tolerance (e.g. 1e-6); 0 = none. */
  rtol: number;
  /** Absolute tolerance; 0 = none. */
  atol: number;
}

export function sameNumber(a: number, b: number, tolerance: Tolerance): boolean {
  // NaN is the same as NaN (a run that diverged to NaN twice reproduced); 0 and -0 are not bitwise equal.
  if (Object.is(a, b)) return true;
  if (tolerance.rtol === 0 && tolerance.atol === 0) return false;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= tolerance.atol + tolerance.rtol * Math.abs(b);
}

/** `--rtol` / `--atol` from the command line: a finite number >= 0. */
export function parseTolerance(option: string, text: string | undefined): number {
  if (text === undefined) return 0;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`${option} must be a number >= 0, e.g. ${option} 1e-6; got ${JSON.stringify(text)}.`);
  }
  return value;
}
