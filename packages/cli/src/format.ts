/**
 * How run values look in a terminal: short, aligned, never multi-line.
 * Data formats (--json, --csv) bypass this and keep full precision.
 */
import { formatDuration } from '@ritual/core/observer-kit';

/** `2026-11-27 10:42:18` (UTC, as Sacred stores it); `-` when unknown. */
export function formatTime(date: Date | null | undefined): string {
  if (!date) return '-';
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** A run's duration (`31.5s`, `1m45s`, `2h03m`: core's one formatter); `-` when unknown. */
export function formatRunDuration(ms: number | null): string {
  return ms === null ? '-' : formatDuration(ms);
}

/** A number with at most 6 significant digits, without trailing zeros. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) return value.toExponential(4).replace(/\.?0+e/, 'e');
  return String(Number(value.toPrecision(6)));
}

/** Any stored value in one short line; `-` for missing, JSON for objects (cut at `width`). */
export function formatValue(value: unknown, width = 40): string {
  if (value === undefined) return '-';
  if (value === null) return 'null';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return truncate(value.replace(/\s+/g, ' '), width);
  if (value instanceof Date) return formatTime(value);
  return truncate(JSON.stringify(value) ?? String(value), width);
}

export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}
