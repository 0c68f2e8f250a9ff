import { MissingDependencyError } from '../errors.js';
import type { Observer } from './observer.js';

/** The part of @ritual/observers that the `-F` and `-m` flags need. */
interface ObserverPackage {
  FileStorageObserver: new (dir: string) => Observer;
  MongoObserver: { fromSpec(spec: string): Observer };
}

/**
 * `-F DIR` and `-m URL` create observers from @ritual/observers. Core does not
 * depend on that package (observers depend on core, never the reverse), so it
 * is loaded by name only when one of those flags is used.
 */
export async function observersFromOptions(options: { fileStorage?: string; mongoDb?: string }): Promise<Observer[]> {
  if (options.fileStorage === undefined && options.mongoDb === undefined) return [];
  const specifier = '@ritual/observers';
  let observers: ObserverPackage;
  try {
    observers = (await import(specifier)) as ObserverPackage;
  } catch (cause) {
    throw new MissingDependencyError(specifier, 'for -F/--file_storage and -m/--mongo_db', { cause });
  }
  const created: Observer[] = [];
  if (options.mongoDb !== undefined) created.push(observers.MongoObserver.fromSpec(options.mongoDb));
  if (options.fileStorage !== undefined) created.push(new observers.FileStorageObserver(options.fileStorage));
  return created;
}
