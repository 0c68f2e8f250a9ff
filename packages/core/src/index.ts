// The public API of @ritual/core: what a user training a model needs. What only
// observer and store authors need is in @ritual/core/observer-kit (observer-kit.ts).

// The experiment and the run, as the user meets them.
export {
  Experiment,
  type ExperimentOptions,
  type RunContext,
  type MainFunction,
  type RunRequest,
  type ForcedRunRequest,
  type FinalConfig,
  type ConfigUpdate,
  type CheckedConfig,
} from './experiment.js';
// Standard Schema v1 (https://standardschema.dev), the interface ex.schema() takes.
export type { StandardSchemaV1, StandardSchemaV1Issue, StandardSchemaV1Result, SchemaOutput } from './config/index.js';
export { Run, type ArtifactOptions } from './run/run.js';
export type { RunOutcome } from './run/run-lifecycle.js';
export type { Logger, LogLevel } from './logger.js';
export type { RunOptions } from './commandline/index.js';

// Errors: one base class with a code, split by whose move it is.
export {
  RitualError,
  UsageError,
  ConfigError,
  CommandLineError,
  MissingDependencyError,
  BackendError,
  ObserverStartError,
  RunNotFoundError,
} from './errors.js';

// The observer contract and the run record every backend stores.
export type * from './run/run-record.js';
export type * from './observer/observer.js';
export type { QueueClaim } from './queue/queue-claim.js';

// Seeding: code that must not draw from main's seeded Math.random.
export { runUnseeded } from './seeding.js';
export { describeReproducibility, type ReproducibilityInfo } from './capture/reproducibility.js';

// --- TensorFlow.js integration (packages/core/src/tfjs; tfjs is an optional peer, never imported) ---
export { registerWasmConv2DBackpropFilter } from './tfjs/wasm-conv2d-backprop-filter.js';
export { createTfjsCallback } from './tfjs/callback.js';
export type { ScalarSink, TfjsCallback, TfjsCallbackOptions, TfjsLogs } from './tfjs/callback.js';
export type { ProgressStream } from './tfjs/progress-bar.js';
export { saveModel, loadModel } from './tfjs/model-artifacts.js';
export type { ArtifactSink, ArtifactSource, SaveModelOptions } from './tfjs/model-artifacts.js';
export type { TfjsCallbackNamespaceLike, TfjsLike } from './tfjs/tfjs-types.js';
