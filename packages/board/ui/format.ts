/** Times are shown in UTC, as `ritual ls` shows them. */
export function formatTime(iso: string | null): string {
  return iso
    ? iso
        .replace('T', ' ')
        .replace(/\.\d+Z$/, '')
        .replace(/Z$/, '')
    : '-';
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

export function statusText(status: string, probablyDead: boolean): string {
  return probablyDead ? `${status} (probably dead)` : status;
}

/** Every leaf of a nested object under its dotted path; arrays are leaves. */
export function flatten(value: unknown, prefix = '', into = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, into);
  } else if (prefix) {
    into.set(prefix, value);
  }
  return into;
}
