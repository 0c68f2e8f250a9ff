/**
 * Start/stop a real MongoDB-wire server for the tests.
 *
 * Resolution order:
 * 1. `MONGODB_URL` if set: the user's own mongod or Atlas (stop/restart are then
 *    not available: tests that need them skip);
 * 2. mongo-java-server with the H2 file backend, built once from Maven Central
 *    and cached under .cache/mongo-server (see mongo-server/build.ts).
 * `mongodb-memory-server` is not used: it downloads mongod from fastdl.mongodb.org,
 * which these machines cannot reach, and the Java server passes the whole suite.
 *
 * The server is a child process with a pipe on stdin: when the test process dies
 * the pipe closes and the server exits, so nothing is ever left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureMongoServerBuilt } from './mongo-server/build.js';

export interface MongoTestServer {
  /** `mongodb://127.0.0.1:PORT` (no database name). */
  url: string;
  /** Whether stop()/restart() control a server we started (false with MONGODB_URL). */
  controllable: boolean;
  /** Milliseconds from spawn to the ready line (0 for MONGODB_URL). */
  startupMs: number;
  /** Process id of the running server (the java process itself, no wrapper); null with MONGODB_URL or when stopped. */
  pid: number | null;
  /** Stops the server; data stays on disk when the server is persistent. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop(), or stops it first). */
  restart(): Promise<void>;
  /**
   * SIGKILL to the server (no shutdown hook: H2 does not close its file), as a crash or the OOM
   * killer would; `restart()` then brings it back on the same port with the same data file.
   */
  kill(): Promise<void>;
  /** Stops it and deletes its data. */
  dispose(): Promise<void>;
}

export interface StartOptions {
  /** Keep data across stop()/restart() (H2 file). Default true. */
  persistent?: boolean;
  /** Folder for the data file; default a fresh temporary folder deleted by dispose(). */
  dataDir?: string;
  /** Port to bind; default 0 (a free one). */
  port?: number;
}

/**
 * Tests name their own databases (`${url}/db`), so a database in MONGODB_URL
 * (what `npm run db:start` prints) is dropped; a URL with options is kept whole.
 */
function serverUrl(url: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)\/?[^/?]*$/i.exec(url);
  return match ? match[1]! : url;
}

const READY = /ritual-mongo-server ready 127\.0\.0\.1:(\d+)/;

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`MongoDB test server not ready after ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = READY.exec(output);
      if (match) {
        cleanup();
        resolve(Number(match[1]));
      }
    };
    const onExit = (code: number | null): void =>
      fail(new Error(`MongoDB test server exited (${code}) before it was ready:\n${output}`));
    function cleanup(): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    }
    function fail(error: Error): void {
      cleanup();
      reject(error);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    // SIGTERM runs the launcher's shutdown hook, which closes H2 cleanly.
    child.kill('SIGTERM');
  });
}

function killChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

export async function startMongoServer(options: StartOptions = {}): Promise<MongoTestServer> {
  const external = process.env.MONGODB_URL && serverUrl(process.env.MONGODB_URL);
  if (external) {
    const noop = async (): Promise<void> => {};
    return {
      url: external,
      controllable: false,
      startupMs: 0,
      pid: null,
      stop: noop,
      restart: noop,
      kill: noop,
      dispose: noop,
    };
  }
  const built = await ensureMongoServerBuilt();
  const ownDir = options.dataDir ? null : await mkdtemp(join(tmpdir(), 'ritual-mongo-'));
  const dataFile = options.persistent === false ? ':memory:' : join(options.dataDir ?? ownDir!, 'mongo.mv.db');
  let port = options.port ?? 0;
  let child: ChildProcess | null = null;
  let startupMs = 0;

  async function launch(): Promise<void> {
    const started = Date.now();
    child = spawn(
      'java',
      ['-Xss4m', '-cp', built.classpath, built.mainClass, String(port), dataFile, '--exit-on-stdin-eof'],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    port = await waitForReady(child, 60_000);
    startupMs = Date.now() - started;
    // Drain output so a chatty server never blocks on a full pipe.
    child.stdout?.resume();
    child.stderr?.resume();
  }

  await launch();
  const server: MongoTestServer = {
    url: `mongodb://127.0.0.1:${port}`,
    controllable: true,
    get startupMs() {
      return startupMs;
    },
    get pid() {
      const running: ChildProcess | null = child;
      return running && running.exitCode === null && running.signalCode === null ? (running.pid ?? null) : null;
    },
    stop: () => stopChild(child),
    async restart() {
      await stopChild(child);
      await launch();
    },
    kill: () => killChild(child),
    async dispose() {
      await stopChild(child);
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    },
  };
  return server;
}
