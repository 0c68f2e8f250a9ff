import { MissingDependencyError } from '@ritual/core';

/** The `mongodb` driver module, imported on first use so file-only users never load it. */
export type MongoDriver = typeof import('mongodb');

let loading: Promise<MongoDriver> | undefined;

export function loadMongoDriver(): Promise<MongoDriver> {
  loading ??= import('mongodb').catch((error: unknown) => {
    loading = undefined;
    throw new MissingDependencyError('mongodb', 'to write runs to or read runs from MongoDB', { cause: error });
  });
  return loading;
}

/**
 * Errors worth retrying later: the server is unreachable, the connection
 * dropped, or the operation timed out. Anything else (a refused document, a
 * bad query) will not get better by waiting.
 */
export function isTransientMongoError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const name = error.name;
  if (
    name === 'MongoNetworkError' ||
    name === 'MongoNetworkTimeoutError' ||
    name === 'MongoServerSelectionError' ||
    name === 'MongoTopologyClosedError' ||
    name === 'MongoNotConnectedError' ||
    name === 'MongoOperationTimeoutError' ||
    name === 'MongoPoolClearedError'
  ) {
    return true;
  }
  const labels = (error as { hasErrorLabel?: (label: string) => boolean }).hasErrorLabel;
  return typeof labels === 'function' && (labels.call(error, 'RetryableWriteError') || labels.call(error, 'ResetPool'));
}
