import { UsageError } from '../errors.js';
import type { RunId, RunReproduces } from './run-record.js';

/**
 * `ritual reproduce` starts the rebuilt experiment as a child process and
 * tells it, through this variable, which stored run it reproduces. The run
 * records it as `meta.reproduces`, so the new run's own record says what it
 * is (and the original's is never touched).
 */
export const REPRODUCES_ENV = 'RITUAL_REPRODUCES';

/** `meta.reproduces` of a run started by `ritual reproduce`, or undefined for any other run. */
export function reproducesFromEnv(env: NodeJS.ProcessEnv = process.env): RunReproduces | undefined {
  const text = env[REPRODUCES_ENV];
  if (text === undefined || text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${REPRODUCES_ENV} must be JSON like {"run": 3, "store": "runs", "attempt": "..."}; unset it to run normally.`,
      { cause: error },
    );
  }
  const { run, store, attempt } = (parsed ?? {}) as { run?: unknown; store?: unknown; attempt?: unknown };
  if (
    (typeof run !== 'number' && typeof run !== 'string') ||
    typeof store !== 'string' ||
    typeof attempt !== 'string'
  ) {
    throw new UsageError(
      `${REPRODUCES_ENV} must name the run, its store and the attempt, e.g. {"run": 3, "store": "runs", ` +
        `"attempt": "..."}; unset it to run normally.`,
    );
  }
  return { run: run as RunId, store, attempt };
}
