/**
 * A MongoDB-wire server for development and CI, by hand:
 *   npm run db:start   [-- --port 27017] [--data .cache/mongo-data]
 *   npm run db:stop
 *   npm run db:status
 * With MONGODB_URL set nothing is started: that server is used.
 * Otherwise the test server (mongo-java-server + H2 file backend, built from
 * Maven Central into .cache/mongo-server on first use) runs in the background;
 * its pid, port and URL are in .cache/mongo-server.pid, its log in .cache/mongo-server.log
 * (RITUAL_DB_STATE_DIR moves both elsewhere, e.g. for a test).
 * A port that is taken fails at once with one line and starts nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureMongoServerBuilt, repoRoot } from '../test/support/mongo-server/build.js';

const STATE_DIR = process.env.RITUAL_DB_STATE_DIR ?? join(repoRoot, '.cache');
const PID_FILE = join(STATE_DIR, 'mongo-server.pid');
const LOG_FILE = join(STATE_DIR, 'mongo-server.log');
/** The database the printed URL names, Sacred's default: `-m URL` then stores runs there. */
const DATABASE = 'sacred';
/** A JVM that has not said "ready" by then is stuck (a cold JVM on a busy machine takes a few seconds). */
const READY_TIMEOUT_MS = 60_000;
/** What the launcher logs when the port is taken (after the race with our own check). */
const PORT_IN_USE = /BindException|Address already in use/;

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

/** Whether something already listens on 127.0.0.1:port (the launcher binds there); false for port 0. */
function portTaken(port: number): Promise<boolean> {
  if (port === 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE'));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

function portTakenMessage(port: number): string {
  return (
    `port ${port} is already in use on 127.0.0.1; stop what listens there, or start on another port: ` +
    `npm run db:start -- --port 27018 (0 picks a free one)`
  );
}

/** The launcher and everything it started (detached: it leads its own process group). */
function killLauncher(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

function fail(message: string): void {
  console.error(message);
  process.exitCode = 1;
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
  const portText = option('port', process.env.RITUAL_DB_PORT ?? '27017');
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    console.error(`--port ${JSON.stringify(portText)} is not a port number (0-65535; 0 picks a free one)`);
    process.exitCode = 2;
    return;
  }
  // Checked before the JVM starts: a taken port would otherwise cost its start-up and a stack trace.
  if (await portTaken(port)) return fail(portTakenMessage(port));
  const built = await ensureMongoServerBuilt();
  if (built.built) console.log(`built the test server in ${(built.buildMs / 1000).toFixed(1)} s`);
  const dataDir = option('data', join(repoRoot, '.cache', 'mongo-data'));
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(STATE_DIR, { recursive: true });
  const log = openSync(LOG_FILE, 'w');
  const child = spawn('java', ['-cp', built.classpath, built.mainClass, String(port), join(dataDir, 'mongo.mv.db')], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const text = existsSync(LOG_FILE) ? readFileSync(LOG_FILE, 'utf8') : '';
    const ready = /ritual-mongo-server ready 127\.0\.0\.1:(\d+)/.exec(text);
    if (ready) {
      const state: Running = {
        pid: child.pid!,
        port: Number(ready[1]),
        url: `mongodb://127.0.0.1:${ready[1]}/${DATABASE}`,
      };
      writeFileSync(PID_FILE, `${JSON.stringify(state)}\n`);
      const seconds = ((Date.now() - began) / 1000).toFixed(1);
      console.log(`MongoDB test server ready at ${state.url} (pid ${state.pid}, data in ${dataDir}, ${seconds} s)`);
      console.log(`store runs there with -m ${state.url}; the tests use it with: export MONGODB_URL=${state.url}`);
      return;
    }
    // The launcher does not exit when its bind fails (the backend's threads keep the JVM up): never leave it behind.
    if (PORT_IN_USE.test(text)) {
      killLauncher(child);
      return fail(portTakenMessage(port));
    }
    if (child.exitCode !== null || !alive(child.pid!)) break;
    await sleep(100);
  }
  killLauncher(child);
  fail(`the test server did not start within ${READY_TIMEOUT_MS / 1000} s and was stopped; its log is in ${LOG_FILE}`);
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
  if (process.env.MONGODB_URL)
    console.log(`MONGODB_URL=${process.env.MONGODB_URL.replace(/:\/\/([^:@/]*):[^@/]*@/, '://$1:***@')}`);
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
