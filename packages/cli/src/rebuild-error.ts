import { RitualError } from '@ritual/core';

/**
 * A stored run that cannot be rebuilt and run again: sources missing from the
 * store, a dependency not installed, an original that did not complete, a
 * rebuilt experiment that stored no run. `ritual reproduce` exits 2 with the
 * message, which says what to do.
 */
export class RebuildError extends RitualError {
  override readonly name: string = 'RebuildError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('RITUAL_REBUILD', message, options);
  }
}
