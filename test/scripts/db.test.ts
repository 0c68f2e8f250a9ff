// `npm run db:start` by hand: a taken port fails at once with one line and
// leaves nothing running; on success the printed URL names a database.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../support/mongo-server/build.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'ritual-db-script-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The real script, as `npm run db:*` runs it, with its pid file and log in a folder of this test. */
function db(args: string[], stateDir: string): Promise<Result> {
  const began = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, RITUAL_DB_STATE_DIR: stateDir };
  delete env.MONGODB_URL;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/db.ts', ...args],
      { cwd: repoRoot, env, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - began });
      },
    );
  });
}

/** Processes whose command line holds this marker (the data folder is on the JVM's command line). */
function processesWith(marker: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

describe('scripts/db.ts', () => {
  it('start on a taken port: non-zero within seconds, one line, nothing left running', async () => {
    const holder = createServer();
    const port = await listen(holder);
    try {
      const data = join(work, 'taken-data-marker');
      const state = join(work, 'taken-state');
      const result = await db(['start', '--port', String(port), '--data', data], state);
      assert.notEqual(result.code, 0);
      assert.ok(result.ms < 15_000, `took ${result.ms} ms`);
      const lines = result.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, new RegExp(`port ${port} is already in use.*--port`));
      assert.doesNotMatch(result.stderr + result.stdout, /Exception|\tat /);
      assert.deepEqual(processesWith(data), []);
      const status = await db(['status'], state);
      assert.match(status.stdout, /not running/);
    } finally {
      holder.close();
    }
  });

  it('start prints a URL with a database name; stop leaves nothing running', async () => {
    const data = join(work, 'ok-data-marker');
    const state = join(work, 'ok-state');
    const started = await db(['start', '--port', '0', '--data', data], state);
    try {
      assert.equal(started.code, 0, started.stderr);
      assert.match(started.stdout, /ready at mongodb:\/\/127\.0\.0\.1:\d+\/sacred \(pid/);
      assert.match(started.stdout, /MONGODB_URL=mongodb:\/\/127\.0\.0\.1:\d+\/sacred/);
      assert.equal(processesWith(data).length > 0, true, 'the server runs');
    } finally {
      const stopped = await db(['stop'], state);
      assert.equal(stopped.code, 0, stopped.stderr);
    }
    assert.deepEqual(processesWith(data), []);
  });
});
