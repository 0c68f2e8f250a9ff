/**
 * Sacred's side of benchmark 4: metric points per second through Sacred's
 * MongoObserver (pymongo) into the same test server ritual writes to,
 * measured by bench/peers/sacred/mongo_throughput.py.
 */
import { sacredResult } from './sacred.js';

export interface SacredMongoOptions {
  /** `mongodb://host:port` of the server under test. */
  url: string;
  /** Database to write to (a fresh one, so runs of the two sides never mix). */
  database: string;
  points: number;
  /** Points per heartbeat flush (all metrics together). */
  batch: number;
  metrics: number;
}

export interface SacredMongoFigure {
  points: number;
  /** Points found in the `metrics` collection afterwards: the figure counts only what arrived. */
  storedPoints: number;
  seconds: number;
  pointsPerSecond: number;
}

export async function sacredMongoThroughput(options: SacredMongoOptions): Promise<SacredMongoFigure> {
  const figure = await sacredResult<SacredMongoFigure>('mongo_throughput.py', [
    options.url,
    options.database,
    String(options.points),
    String(options.batch),
    String(options.metrics),
  ]);
  if (figure.storedPoints !== figure.points) {
    throw new Error(
      `Sacred's MongoObserver sent ${figure.points} points but ${figure.storedPoints} are in the database`,
    );
  }
  return figure;
}
