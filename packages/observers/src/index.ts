// The public API of @ritual/observers.
export type { RunStore, StoredRun, FindOptions, ArtifactEntry } from './store.js';
export { openStore } from './store-registry.js';

// Console observer: prints a run's life to the terminal.
export { ConsoleObserver, type ConsoleObserverOptions } from './console/observer.js';

// --- file storage (FileStorageObserver, FileRunStore) ---
export { FileStorageObserver } from './file/observer.js';
export type { FileStorageObserverOptions } from './file/observer.js';
export { FileRunStore } from './file/store.js';
export type { FileRunStoreOptions } from './file/store.js';
