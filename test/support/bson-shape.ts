/** The BSON type of a value as the driver decodes it with promoteValues off. */
export function bsonType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return 'date';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return ((value as { _bsontype?: string })._bsontype ?? 'object').toLowerCase();
  return typeof value;
}

/**
 * field path → BSON type, descending into objects (not into arrays, whose
 * element types are checked apart): what two documents written by different
 * programs (ritual and Python's Sacred) are compared by.
 */
export function bsonShape(document: Record<string, unknown>, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(document)) {
    const path = prefix + key;
    out.set(path, bsonType(value));
    if (bsonType(value) === 'object')
      for (const [inner, type] of bsonShape(value as Record<string, unknown>, `${path}.`)) out.set(inner, type);
  }
  return out;
}
