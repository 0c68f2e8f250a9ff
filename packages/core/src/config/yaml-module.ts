import { createRequire } from 'node:module';

/**
 * The `yaml` package, loaded on first use: most runs parse no YAML (no config
 * file, no `with key=value`), and loading it costs more than a bare `node`
 * start on a busy machine (~65 ms of CPU, measured with the start-up
 * benchmark). Loaded through require because callers are synchronous, and
 * its CommonJS build is what Node resolves anyway.
 */
let yamlModule: typeof import('yaml') | undefined;

export function yaml(): typeof import('yaml') {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlModule;
}
