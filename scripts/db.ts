/**
 * A MongoDB-wire server for development and CI, by hand:
 *   npm run db:start   [-- --port 27017] [--data .cache/mongo-data]
 *   npm run db:stop
 *   npm run db:status
 * With MONGODB_URL set nothing is started: that server is used.
 * Otherwise the test server (mongo-java-server + H2 file backend, built from
 * Maven Central into .cache/mongo-server on first use) runs in the background;
 * its pid, port and URL are in .cache/mongo-server.pid, its log in .cache/mongo-server.log.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureMongoServerBuilt, repoRoot } from '../test/support/mongo-server/build.js';

const PID_FILE = join(repoRoot, '.cache', 'mongo-server.pid');
const LOG_FILE = join(repoRoot, '.cache', 'mongo-server.log');

interface Running {
  pid: number;
  port: number;
  url: string;
}

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function running(): Running | null {
  if (!existsSync(PID_FILE)) return null;
  const state = JSON.parse(readFileSync(PID_FILE, 'utf8')) as Running;
  return alive(state.pid) ? state : null;
}

async function start(): Promise<void> {
  if (process.env.MONGODB_URL) {
    console.log(`MONGODB_URL is set; using that server, nothing started.`);
    return;
  }
  const current = running();
  if (current) {
    console.log(`already running: ${current.url} (pid ${current.pid})`);
    return;
  }
  const began = Date.now();
  const built = await ensureMongoServerBuilt();
  if (built.built) console.log(`built the test server in ${(built.buildMs / 1000).toFixed(1)} s`);
  const port = Number(option('port', process.env.RITUAL_DB_PORT ?? '27017'));
  const dataDir = option('data', join(repoRoot, '.cache', 'mongo-data'));
  mkdirSync(dataDir, { recursive: true });
  const log = openSync(LOG_FILE, 'w');
  const child = spawn('java', ['-cp', built.classpath, built.mainClass, String(port), join(dataDir, 'mongo.mv.db')], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const text = existsSync(LOG_FILE) ? readFileSync(LOG_FILE, 'utf8') : '';
    const ready = /ritual-mongo-server ready 127\.0\.0\.1:(\d+)/.exec(text);
    if (ready) {
      const state: Running = { pid: child.pid!, port: Number(ready[1]), url: `mongodb://127.0.0.1:${ready[1]}` };
      writeFileSync(PID_FILE, `${JSON.stringify(state)}\n`);
      console.log(`MongoDB test server ready at ${state.url} (pid ${state.pid}, data in ${dataDir}, ${((Date.now() - began) / 1000).toFixed(1)} s)`);
      console.log(`use it with: export MONGODB_URL=${state.url}`);
      return;
    }
    if (child.exitCode !== null || !alive(child.pid!)) break;
    await sleep(100);
  }
  console.error(`the test server did not start (is port ${port} in use? try --port 0); its log:\n${readFileSync(LOG_FILE, 'utf8')}`);
  process.exitCode = 1;
}

async function stop(): Promise<void> {
  const current = running();
  if (!current) {
    console.log('not running');
    rmSync(PID_FILE, { force: true });
    return;
  }
  process.kill(current.pid, 'SIGTERM'); // the launcher's shutdown hook closes H2 cleanly
  const deadline = Date.now() + 15_000;
  while (alive(current.pid) && Date.now() < deadline) await sleep(100);
  if (alive(current.pid)) process.kill(current.pid, 'SIGKILL');
  rmSync(PID_FILE, { force: true });
  console.log(`stopped the test server (pid ${current.pid})`);
}

function status(): void {
  if (process.env.MONGODB_URL) console.log(`MONGODB_URL=${process.env.MONGODB_URL.replace(/:\/\/([^:@/]*):[^@/]*@/, '://$1:***@')}`);
  const current = running();
  console.log(current ? `running: ${current.url} (pid ${current.pid})` : 'not running');
  if (!current) process.exitCode = 3;
}

const command = process.argv[2];
if (command === 'start') await start();
else if (command === 'stop') await stop();
else if (command === 'status') status();
else {
  console.error('usage: node --import tsx scripts/db.ts start|stop|status [--port N] [--data DIR]');
  process.exitCode = 2;
}
