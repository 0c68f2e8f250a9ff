// The public API of @ritual/observers.
export type { RunStore, StoredRun, FindOptions, ArtifactEntry } from './store.js';
export { openStore } from './store-registry.js';

// Console observer: prints a run's life to the terminal.
export { ConsoleObserver, type ConsoleObserverOptions } from './console/observer.js';
