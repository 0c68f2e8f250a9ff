import type { Collection, Db, GridFSBucket, MongoClient, ObjectId, WriteConcernSettings } from 'mongodb';
import { loadMongoDriver, type MongoDriver } from './driver.js';
import type { MongoTarget } from './target.js';

/** Everything a write needs: the driver module (for ObjectId, Double) and the collections of one target. */
export interface MongoHandles {
  driver: MongoDriver;
  client: MongoClient;
  db: Db;
  runs: Collection<Record<string, unknown>>;
  metrics: Collection<Record<string, unknown>>;
  files: Collection<Record<string, unknown>>;
  chunks: Collection<Record<string, unknown>>;
  bucket: GridFSBucket;
  objectId(hex: string): ObjectId;
}

export interface ConnectOptions {
  /** How long one operation waits for an unreachable server before failing (then the uploader retries later). */
  serverSelectionTimeoutMS?: number;
  /** Default {@link DEFAULT_WRITE_CONCERN}. */
  writeConcern?: WriteConcernSettings;
}

/**
 * Journaled writes: the server acknowledges an update only once it is in its on-disk journal,
 * so a crash of the server (SIGKILL, power loss) cannot lose what it acknowledged. With
 * `{ w: 1 }` alone mongod may lose up to its last journal commit interval (100 ms by default;
 * the test server loses its last second), which the observer then repairs from its own journal
 * only while it still has it (until the end-of-run check).
 */
export const DEFAULT_WRITE_CONCERN: WriteConcernSettings = { w: 1, journal: true };

/**
 * Connects with short timeouts: an observer must never hold a training loop
 * hostage to a dead database; the uploader retries in the background instead.
 */
export async function connectMongo(target: MongoTarget, options: ConnectOptions = {}): Promise<MongoHandles> {
  const driver = await loadMongoDriver();
  const timeout = options.serverSelectionTimeoutMS ?? 2000;
  const client = new driver.MongoClient(target.url, {
    serverSelectionTimeoutMS: timeout,
    connectTimeoutMS: timeout,
    heartbeatFrequencyMS: 1000,
    appName: 'ritual',
    // What a journal replay sees (JSON drops undefined), so live and replayed documents are equal.
    ignoreUndefined: true,
    writeConcern: options.writeConcern ?? DEFAULT_WRITE_CONCERN,
  });
  try {
    await client.connect();
  } catch (error) {
    await client.close(true).catch(() => {});
    throw error;
  }
  return handlesFor(driver, client, target);
}

export function handlesFor(driver: MongoDriver, client: MongoClient, target: MongoTarget): MongoHandles {
  const db = client.db(target.dbName);
  return {
    driver,
    client,
    db,
    runs: db.collection(target.runsCollection),
    metrics: db.collection(target.metricsCollection),
    files: db.collection('fs.files'),
    chunks: db.collection('fs.chunks'),
    bucket: new driver.GridFSBucket(db),
    objectId: (hex) => new driver.ObjectId(hex),
  };
}

/** Indexes the observer's idempotency checks and the store's queries use; createIndex is a no-op when they exist. */
export async function ensureIndexes(handles: MongoHandles): Promise<void> {
  await Promise.all([
    handles.metrics.createIndex({ run_id: 1, name: 1 }),
    handles.runs.createIndex({ 'meta.run_key': 1 }, { sparse: true }),
    handles.files.createIndex({ filename: 1, md5: 1 }),
  ]);
}
