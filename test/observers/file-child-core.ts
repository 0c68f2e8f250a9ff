/**
 * What the bundled writer child takes from @ritual/core: only the leaves the
 * file observer uses (errors, time, Sacred's JSON spelling, artifact names,
 * atomic files), so each of the 50 racing processes starts without loading
 * core's whole dependency graph (yaml, git, host probes...). The observer's
 * own code still imports `@ritual/core`.
 */
export * from '../../packages/core/src/errors.js';
export { errorMessage } from '../../packages/core/src/error-message.js';
export { toSacredTime, fromSacredTime } from '../../packages/core/src/sacred/time.js';
export {
  formatSacredJson,
  sacredJsonNumber,
  sacredJsonString,
  spelledAsInJavaScript,
  compareSacredKeys,
} from '../../packages/core/src/sacred/sacred-json.js';
export { formatDuration } from '../../packages/core/src/duration.js';
export { normaliseArtifactName, RUN_FILE_NAMES } from '../../packages/core/src/sacred/artifact-name.js';
export * from '../../packages/core/src/atomic-file.js';
export { needTurnsUntil } from '../../packages/core/src/event-loop-demand.js';
