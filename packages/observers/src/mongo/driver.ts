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
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function isTransientMongoError(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  if (NETWORK_CODES.has(String((error as { code?: unknown }).code))) return true;
  // The driver sometimes wraps the socket error (pool cleared, connection closed mid-operation).
  if (error.cause !== undefined && isTransientMongoError(error.cause, depth + 1)) return true;
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
  if (typeof labels === 'function' && (labels.call(error, 'RetryableWriteError') || labels.call(error, 'ResetPool')))
    return true;
  // A bulk write that lost its socket is a MongoBulkWriteError that keeps only the socket error's text
  // (seen: "connect ECONNREFUSED" while the server restarts): still the network, not a refusal.
  return (
    name === 'MongoBulkWriteError' &&
    /\b(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT)\b|connection .* closed/i.test(error.message)
  );
}
