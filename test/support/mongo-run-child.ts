/**
 * A training process for the multi-process MongoDB tests: drives one scripted
 * run (mongo-run-events.ts) against the URL given in the RITUAL_CHILD env var
 * (JSON), printing `ready`, `started <id>` and `beat <n>` lines on stdout.
 * With `waitForGo`, it loads everything, prints `ready` and waits for a line on
 * stdin before starting, so many processes can start their runs at once.
 */
import { createInterface } from 'node:readline';
import { MongoObserver } from '../../packages/observers/src/mongo/observer.js';
import { loadMongoDriver } from '../../packages/observers/src/mongo/driver.js';
import { driveRun } from './mongo-run-events.js';

interface ChildOptions {
  url: string;
  dbName: string;
  journalDir: string;
  workDir: string;
  beats: number;
  beatDelayMs: number;
  waitForGo?: boolean;
  /** Default 60 s (patient: fifty of these share two busy cores with the server). */
  serverSelectionTimeoutMS?: number;
}

const options = JSON.parse(process.env.RITUAL_CHILD ?? '{}') as ChildOptions;
await loadMongoDriver();
if (options.waitForGo) {
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  lines.close();
}
const patience = options.serverSelectionTimeoutMS ?? 60_000;
const observer = new MongoObserver({
  url: options.url,
  dbName: options.dbName,
  journalDir: options.journalDir,
  serverSelectionTimeoutMS: patience,
  startTimeoutMS: patience,
  closeTimeoutMS: patience,
});
const started = observer.started.bind(observer);
observer.started = async (event) => {
  const id = await started(event);
  process.stdout.write(`started ${String(id)}\n`);
  return id;
};
await driveRun(observer, {
  workDir: options.workDir,
  beats: options.beats,
  beatDelayMs: options.beatDelayMs,
  onBeat: (beat) => void process.stdout.write(`beat ${beat}\n`),
});
process.stdout.write('done\n');
