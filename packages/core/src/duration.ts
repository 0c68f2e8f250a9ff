/**
 * How long something took, as people read it. Every place that prints a
 * duration (the completion line, the console observer, progress bars, the
 * `ritual` command) goes through here, so they agree and round the same way.
 *
 * Rounding happens once, to the resolution of the unit pair that will be
 * printed, before the value is split into units: splitting first and rounding
 * the remainder is how 119.6 s became `1m60s`.
 */

/**
 * - `compact`: `0.0s` … `59.9s` (tenths), then `1m00s` … `59m59s`, `1h00m` … `23h59m`, `1d00h` …
 * - `clock`: `h:mm:ss`, whole seconds, what Sacred prints in its completion line (`0:00:42`).
 */
export type DurationStyle = 'compact' | 'clock';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** `ms` as a duration; negative or non-finite values print as zero. */
export function formatDuration(ms: number, style: DurationStyle = 'compact'): string {
  const duration = Number.isFinite(ms) && ms > 0 ? ms : 0;
  return style === 'clock' ? clock(duration) : compact(duration);
}

function clock(ms: number): string {
  const seconds = Math.round(ms / SECOND);
  const h = Math.floor(seconds / 3600);
  return `${h}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
}

function compact(ms: number): string {
  // Each branch rounds to its own resolution; a value that rounds up to the
  // next unit (59.96 s -> 60.0 s) falls through to the coarser branch.
  const tenths = Math.round(ms / (SECOND / 10));
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.round(ms / SECOND);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${pad(seconds % 60)}s`;
  const minutes = Math.round(ms / MINUTE);
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)}h${pad(minutes % 60)}m`;
  const hours = Math.round(ms / HOUR);
  return `${Math.floor(hours / 24)}d${pad(hours % 24)}h`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
