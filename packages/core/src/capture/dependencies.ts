import type { SourceFile } from '../run/run-record.js';
import { classifySpecifier, installedVersion } from './module-resolution.js';
import { importsOf } from './sources.js';

/** Recorded when a package is imported but not installed where Node would look (as Sacred does). */
export const UNKNOWN_VERSION = '<unknown>';

/**
 * The npm packages the sources import, as sorted `name==version` strings.
 * The version is the INSTALLED one (the package.json Node would load from the
 * importing file), not the range declared in the project's package.json:
 * that is what ran. Subpath imports count as their package (`lodash/fp` →
 * `lodash`, `@scope/pkg/x` → `@scope/pkg`); node builtins are skipped.
 * `extra` (from `ex.addPackageDependency`) adds packages or overrides versions.
 */
export async function collectDependencies(
  sources: readonly SourceFile[],
  extra: ReadonlyMap<string, string>,
): Promise<string[]> {
  const versions = new Map<string, string>();
  const perSource = await Promise.all(sources.map(async (source) => [source, await importsOf(source)] as const));
  for (const [source, imports] of perSource) {
    for (const { specifier } of imports) {
      const target = classifySpecifier(specifier, source.absolutePath);
      if (target.type !== 'package') continue;
      const version = installedVersion(target.name, source.absolutePath);
      // Two sources may resolve one name to different installs; a known version wins over unknown.
      const known = versions.get(target.name);
      if (known === undefined || known === UNKNOWN_VERSION) versions.set(target.name, version ?? UNKNOWN_VERSION);
    }
  }
  for (const [name, version] of extra) versions.set(name, version);
  return [...versions].map(([name, version]) => `${name}==${version}`).sort();
}
