/**
 * The benchmark suite must not rot: its smoke mode runs every benchmark once
 * with tiny sizes, ritual and Sacred sides alike, in a child process exactly
 * as `npm run bench -- --smoke` does. Numbers are not asserted (machines are
 * noisy); that every figure was produced, and is a real number, is.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { SuiteReport } from '../../bench/report.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Every benchmark of issue 7, and the figures each must produce (by name prefix). */
const EXPECTED: Record<string, { names: string[]; withPeer: string[] }> = {
  startup: {
    names: ['added start-up time', 'start to end, experiment'],
    withPeer: ['added start-up time', 'start to end, experiment'],
  },
  'run-start': {
    names: ['start of ex.run(): call to main entered', 'end of ex.run(): main returned to resolved'],
    withPeer: [],
  },
  'log-scalar': { names: ['logScalar calls/s', 'JS heap allocated per call'], withPeer: ['logScalar calls/s'] },
  heartbeat: {
    names: ['one beat after 1k points', 'one beat after 10k points', 'growth'],
    withPeer: ['one beat after 1k points', 'one beat after 10k points', 'growth'],
  },
  mongo: { names: ['metric points/s into MongoDB'], withPeer: ['metric points/s into MongoDB'] },
  training: {
    names: [
      'MNIST wall time with / without ritual, wasm',
      'MNIST fit only with / without ritual, wasm',
      "ritual's cost per batch during fit, wasm",
    ],
    withPeer: [],
  },
  memory: { names: ['RSS growth'], withPeer: [] },
  reproduce: {
    names: [
      'compare 2 runs',
      'compare, peak RSS growth',
      'compare under a',
      'first divergence',
      'MNIST fast run: rebuild',
    ],
    withPeer: [],
  },
  'system-sampling': {
    names: ['CPU time per sample', 'load of systeminformation', 'MNIST training ratio, sampling every 1 s'],
    withPeer: [],
  },
  sweep: { names: ['sweep overhead per run', 'sweep / the same runs by hand'], withPeer: [] },
  'run-listing': {
    names: [
      'file: first listing of the folder as found',
      'file: first page by start desc',
      'file: filtered page',
      'file: count',
      'file: ritual ls -n 50',
      'mongo: first page by start desc',
      'mongo: filtered page',
      'mongo: count',
      'mongo: ritual ls -n 50',
    ],
    withPeer: [],
  },
  board: {
    names: ['chart request', 'first chart request', 'live: heartbeat to event', 'runs page'],
    withPeer: [],
  },
  queue: {
    names: [
      'claims per second, 100 queued, with the claim index',
      'claims per second, 1000 queued, without the claim index',
      'claim rate at 1000 / at 100 queued (index)',
      'claim rate with / without the index',
      'worker overhead per run',
      'worker / the same runs by hand',
    ],
    withPeer: [],
  },
  // ritual and Sacred have no batch call, so 'batched logging' has no number of theirs.
  peers: {
    names: ['start-up added', 'per-call logging', 'finish after', 'peak RSS at', 'disk per 100k points'],
    withPeer: ['start-up added', 'per-call logging', 'finish after', 'peak RSS at', 'disk per 100k points'],
  },
};

let scratch: string;
let exit: { code: number | null; stdout: string; stderr: string };
let report: SuiteReport;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ritual-bench-smoke-test-'));
  const out = join(scratch, 'smoke.json');
  exit = await new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@ritual/source', '--import', 'tsx', 'bench/run.ts', '--out', out],
      {
        cwd: REPO,
        // The environment variable form of --smoke, so both switches stay wired.
        env: { ...process.env, RITUAL_BENCH_SMOKE: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
  report = JSON.parse(await readFile(out, 'utf8')) as SuiteReport;
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

test('every benchmark ran without error', () => {
  assert.deepEqual(
    report.failures.map((f) => `${f.benchmark}: ${f.error.split('\n')[0]}`),
    [],
  );
  assert.equal(exit.code, 0, exit.stderr);
  assert.equal(report.smoke, true);
});

for (const [benchmark, { names, withPeer }] of Object.entries(EXPECTED)) {
  test(`${benchmark}: every figure is a number, Sacred's beside ours where it has one`, () => {
    const figures = report.figures.filter((f) => f.benchmark === benchmark);
    for (const name of names) {
      const figure = figures.find((f) => f.name.startsWith(name));
      assert.ok(figure, `no figure "${name}" for ${benchmark}; got ${JSON.stringify(figures.map((f) => f.name))}`);
      assert.ok(
        typeof figure.ours === 'number' && Number.isFinite(figure.ours),
        `${benchmark} / ${name}: ours = ${figure.ours}`,
      );
      if (withPeer.includes(name))
        assert.ok(
          typeof figure.peer === 'number' && Number.isFinite(figure.peer),
          `${benchmark} / ${name}: Sacred = ${figure.peer}`,
        );
    }
  });
}

test('training: tfjs-node has the same figures as wasm where it is provisioned, else one row saying it was skipped', () => {
  const rows = report.figures.filter((f) => f.benchmark === 'training' && f.name.includes('tfjs-node'));
  const details = (report.details as { training: { 'tfjs-node': { skipped?: string } } }).training['tfjs-node'];
  if (details.skipped !== undefined) {
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.ours, null);
    assert.match(rows[0]!.note ?? '', /skipped.*npm run setup:tfjs-node/);
  } else {
    assert.deepEqual(
      rows.map((f) => [f.name, Number.isFinite(f.ours)]),
      [
        ['MNIST wall time with / without ritual, tfjs-node', true],
        ['MNIST fit only with / without ritual, tfjs-node', true],
        ["ritual's cost per batch during fit, tfjs-node", true],
      ],
    );
  }
});

test('the table is printed and the report names the machine', () => {
  for (const benchmark of Object.keys(EXPECTED)) assert.match(exit.stdout, new RegExp(`^${benchmark}\\s`, 'm'));
  assert.match(report.machine.cpu, /\S/);
  assert.ok(report.machine.cores > 0);
  assert.equal(report.machine.node, process.version);
  assert.match(report.machine.sacred ?? '', /^0\.8\.7$/);
  assert.match(report.machine.python ?? '', /^3\.\d+/);
  assert.ok(!Number.isNaN(Date.parse(report.machine.date)));
});

test('peers: the Python trackers are left out of a smoke run by default, saying so', () => {
  if (process.env.RITUAL_BENCH_TRACKERS_INSTALL === '1') return;
  assert.match(
    exit.stderr,
    /bench: peers: SKIPPING mlflow: not measured in a smoke run; set RITUAL_BENCH_TRACKERS_INSTALL=1/,
  );
  assert.match(exit.stderr, /bench: peers: SKIPPING wandb: not measured in a smoke run/);
  const startup = report.figures.find((f) => f.benchmark === 'peers' && f.name.startsWith('start-up added'));
  assert.deepEqual(startup?.peers, { 'MLflow file': null, 'MLflow sqlite': null, 'W&B offline': null });
});
