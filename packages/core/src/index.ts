// The public API of @ritual/core. Everything a user or an observer needs is
// exported here and nowhere else.
export * from './errors.js';
export type * from './run-record.js';
export type * from './observer.js';
export { toSacredTime, fromSacredTime } from './time.js';

// --- TensorFlow.js integration (packages/core/src/tfjs; tfjs is an optional peer, never imported) ---
export { registerWasmConv2DBackpropFilter } from './tfjs/wasm-conv2d-backprop-filter.js';
export { createTfjsCallback } from './tfjs/callback.js';
export type { ScalarSink, TfjsCallback, TfjsCallbackOptions, TfjsLogs } from './tfjs/callback.js';
export type { ProgressStream } from './tfjs/progress-bar.js';
export { saveModel, loadModel } from './tfjs/model-artifacts.js';
export type { ArtifactSink, ArtifactSource } from './tfjs/model-artifacts.js';
export { describeTfjs } from './tfjs/backend-info.js';
export type { TfjsBackendInfo } from './tfjs/backend-info.js';
export type { TfjsLike } from './tfjs/tfjs-types.js';
