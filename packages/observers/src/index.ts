// The public API of @ritual/observers.
export type { RunStore, StoredRun, FindOptions, ArtifactEntry } from './store.js';
export { openStore } from './store-registry.js';
