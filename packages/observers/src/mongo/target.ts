import { UsageError } from '@ritual/core';

/**
 * Where a MongoObserver writes: the connection URL plus Sacred's naming
 * (database `sacred` unless the URL or spec names one; collections `runs` and
 * `metrics`, optionally `<prefix>_runs` / `<prefix>_metrics`; GridFS bucket `fs`).
 */
export interface MongoTarget {
  /** The URL handed to the driver (may hold a password: never print or store it). */
  url: string;
  /** The same URL with any password replaced by `***`: safe for logs, names and documents. */
  redactedUrl: string;
  dbName: string;
  runsCollection: string;
  metricsCollection: string;
  priority?: number;
}

export interface TargetOptions {
  url: string;
  dbName?: string;
  /** Sacred's `collection_prefix`: collections become `<prefix>_runs` and `<prefix>_metrics`. */
  collectionPrefix?: string;
  /** Sacred's older `collection` argument: the runs collection's own name. */
  collection?: string;
}

const URL_SCHEME = /^mongodb(\+srv)?:\/\//i;
/** Sacred's RUN_DB_PATTERN for `-m`: `[host:port:]db_name[.collection][!priority]`. */
const SACRED_SPEC =
  /^(?:(?<host>[^:]+):(?<port>\d+):)?(?<db>[_A-Za-z][0-9A-Za-z_-]*)(?:\.(?<collection>[_A-Za-z][0-9A-Za-z_-]*))?(?:!(?<priority>-?\d+))?$/;
const NAME = /^[_A-Za-z][0-9A-Za-z_-]*$/;

/** Replace the password of a MongoDB URL (every host form, also unparseable ones) by `***`; also inside longer text. */
export function redactMongoUrl(text: string): string {
  return text.replace(/(mongodb(?:\+srv)?:\/\/[^:@/\s]*):[^@/\s]*@/gi, '$1:***@');
}

/** A copy of a JSON-like value with every MongoDB URL password redacted (meta.options holds the raw `-m` value). */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactMongoUrl(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item)) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redactDeep(inner)])) as T;
  }
  return value;
}

/** The database named in a URL's path, if any (`mongodb://h/db?x=1` → `db`). */
function databaseFromUrl(url: string): string | undefined {
  const afterScheme = url.replace(URL_SCHEME, '');
  const slash = afterScheme.indexOf('/');
  if (slash < 0) return undefined;
  const name = decodeURIComponent(afterScheme.slice(slash + 1).split('?')[0] ?? '');
  return name === '' ? undefined : name;
}

/**
 * One string per place runs are stored: scheme, hosts (lower case, sorted,
 * port 27017 when none is given), database and runs collection. Credentials
 * and connection options are left out: they change how we connect, not where
 * the runs go.
 */
export function storeIdentity(target: MongoTarget): string {
  const srv = /^mongodb\+srv:/i.test(target.url);
  const afterScheme = target.url.replace(URL_SCHEME, '');
  const authority = afterScheme.split(/[/?]/)[0] ?? '';
  const hostList = authority.slice(authority.lastIndexOf('@') + 1);
  const hosts = hostList
    .split(',')
    .map((host) => host.toLowerCase())
    .map((host) => (srv || /:\d+$/.test(host) ? host : `${host}:27017`))
    .sort();
  return `${srv ? 'mongodb+srv' : 'mongodb'}://${hosts.join(',')}/${target.dbName}.${target.runsCollection}`;
}

export function resolveTarget(options: TargetOptions): MongoTarget {
  if (!URL_SCHEME.test(options.url)) {
    throw new UsageError(
      `MongoDB URL ${JSON.stringify(redactMongoUrl(options.url))} must start with mongodb:// or mongodb+srv://.`,
    );
  }
  if (options.collection && options.collectionPrefix) {
    throw new UsageError(
      'Give either collection or collectionPrefix to MongoObserver, not both (Sacred refuses both too).',
    );
  }
  for (const [label, value] of [
    ['collection', options.collection],
    ['collectionPrefix', options.collectionPrefix],
  ] as const) {
    if (value !== undefined && value !== '' && !NAME.test(value)) {
      throw new UsageError(
        `MongoObserver ${label} ${JSON.stringify(value)} is not a valid collection name: use letters, digits, _ and -.`,
      );
    }
  }
  const prefix = options.collectionPrefix ? `${options.collectionPrefix}_` : '';
  return {
    url: options.url,
    redactedUrl: redactMongoUrl(options.url),
    dbName: options.dbName ?? databaseFromUrl(options.url) ?? 'sacred',
    runsCollection: options.collection ?? `${prefix}runs`,
    metricsCollection: `${prefix}metrics`,
  };
}

/**
 * Parse what follows `-m`: a `mongodb://` / `mongodb+srv://` URL, or Sacred's
 * `[host:port:]db_name[.collection][!priority]` (host defaults to localhost:27017).
 */
export function parseMongoSpec(spec: string): MongoTarget {
  const trimmed = spec.trim();
  if (URL_SCHEME.test(trimmed)) {
    // Sacred allows `!priority` after a URL too.
    const bang = /!(-?\d+)$/.exec(trimmed);
    const url = bang ? trimmed.slice(0, bang.index) : trimmed;
    const target = resolveTarget({ url });
    return bang ? { ...target, priority: Number(bang[1]) } : target;
  }
  const match = SACRED_SPEC.exec(trimmed);
  if (!match?.groups) {
    throw new UsageError(
      `Cannot understand -m ${JSON.stringify(redactMongoUrl(trimmed))}: give a URL (mongodb://host:27017/db) or Sacred's form [host:port:]db_name[.collection][!priority], e.g. localhost:27017:sacred.runs!40.`,
    );
  }
  const { host, port, db, collection, priority } = match.groups;
  const url = `mongodb://${host ?? 'localhost'}:${port ?? '27017'}`;
  const target = resolveTarget({ url, dbName: db, ...(collection ? { collection } : {}) });
  return priority === undefined ? target : { ...target, priority: Number(priority) };
}
