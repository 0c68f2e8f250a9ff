/**
 * Sacred stores naive UTC times with exactly six fractional digits and no zone
 * suffix (Sacredboard parses them with `%Y-%m-%dT%H:%M:%S.%f`).
 * JavaScript dates carry milliseconds, so the last three digits are zeros.
 */
export function toSacredTime(date: Date | number): string {
  const d = typeof date === 'number' ? new Date(date) : date;
  // toISOString is always `YYYY-MM-DDTHH:MM:SS.mmmZ`
  return `${d.toISOString().slice(0, 23)}000`;
}

/** Parse a Sacred naive-UTC time string (with 0..6 fractional digits) back into a Date. */
export function fromSacredTime(text: string): Date {
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`;
  const date = new Date(withZone.replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a Sacred time string: ${JSON.stringify(text)}`);
  return date;
}
