// The config module's public surface: resolving a run's config from the
// experiment's declarations, the read-only view main receives, and files.
export {
  resolveConfig,
  checkOverrides,
  type ConfigEntry,
  type ResolveConfigInput,
  type ResolvedConfig,
} from './resolve.js';
export type { ConfigSummary } from './summary.js';
export { freezeConfig } from './freeze.js';
export { validateConfigValue, validateConfigKey } from './validate.js';
export { MAX_CONFIG_DEPTH } from './depth.js';
export { saveConfigFile, loadConfigFile, loadConfigFileSync, isConfigFileName } from './file.js';
export {
  applySchema,
  checkIsStandardSchema,
  schemaAddedPaths,
  type StandardSchemaV1,
  type StandardSchemaV1Props,
  type StandardSchemaV1Result,
  type StandardSchemaV1Issue,
  type StandardSchemaV1PathSegment,
  type SchemaOutput,
} from './schema.js';
