// The public API of @ritual/observers.
export type { RunStore, StoredRun, RunSummary, FindOptions, ArtifactEntry, MetricChunkOptions } from './store.js';
export { coversSummary, isSummaryPath } from './run-summary.js';
export { valueAtPath } from './document-path.js';
export { STORED_FILE_MISSING } from './store.js';
export { openStore } from './store-registry.js';
// When a RUNNING run counts as dead (its process was killed): readers show it so, and rebuild its metrics.json.
export { DEAD_AFTER_MS, isProbablyDead } from './run-liveness.js';

// Console observer: prints a run's life to the terminal.
export { ConsoleObserver, type ConsoleObserverOptions } from './console/observer.js';

// --- file storage (FileStorageObserver, FileRunStore) ---
export { FileStorageObserver } from './file/observer.js';
export type { FileStorageObserverOptions } from './file/observer.js';
export { FileRunStore } from './file/store.js';
export type { FileRunStoreOptions } from './file/store.js';

// --- MongoDB (MongoObserver, MongoRunStore, ritual sync) ---
export { MongoObserver } from './mongo/observer.js';
export type { MongoObserverOptions } from './mongo/observer.js';
export { MongoRunStore } from './mongo/store.js';
export { parseMongoSpec, redactMongoUrl } from './mongo/target.js';
export { runSync, type SyncReport, type SyncOutput } from './mongo/sync.js';
// The queue `worker -m URL` drains (core loads openRunQueue by name, as -m loads the MongoObserver).
export { MongoRunQueue, openRunQueue, type MongoRunQueueOptions } from './mongo/run-queue.js';

// --- queries: the `--where` syntax of `ritual ls`, usable with any store's find() ---
export { compileWhere, WhereSyntaxError } from './query/where.js';
export type { RunFilter } from './query/where.js';

// Replaying the events an observer could not take (see the README: What happens when…).
export { replayUndelivered, replayUndeliveredEvents, type ReplayOutcome } from './replay.js';
