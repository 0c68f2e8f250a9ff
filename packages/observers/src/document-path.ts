/**
 * The value at a dotted path of a stored run (`config.model.hidden`,
 * `host.os.0`: arrays are indexed too), or undefined. How `ritual ls
 * --columns` and the board's columns read a run; a config's own paths
 * (core's config tree) stop at arrays instead.
 */
export function valueAtPath(document: unknown, dottedPath: string): unknown {
  let current: unknown = document;
  for (const key of dottedPath.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
