import { UsageError } from '../errors.js';

/** Seconds between two system samples when neither the command line nor the Experiment says. */
export const DEFAULT_SYSTEM_INTERVAL_SECONDS = 10;

/** The programmatic forms (`new Experiment(name, { systemInterval })`, `ex.run({ options })`) get the flag's check. */
export function checkSystemInterval(seconds: unknown, where: string): void {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(
      `${where} must be a number of seconds >= 0 (0 turns system metrics off), got ${String(seconds)}.`,
      { code: 'RITUAL_SYSTEM_INTERVAL' },
    );
  }
}
