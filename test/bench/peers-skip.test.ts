/**
 * The `peers` benchmark when a tracker's Python package cannot be installed
 * (here: pip pointed at an index that refuses every connection, into a venv
 * of the test's own): the smoke run says which tracker it skips and why,
 * measures ritual and Sacred all the same, and exits 0.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { SuiteReport } from '../../bench/report.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

test("a tracker that cannot be installed is skipped with pip's reason; the others are still measured", async () => {
  const scratch = await mkdtemp(join(tmpdir(), 'ritual-bench-peers-skip-'));
  try {
    const out = join(scratch, 'report.json');
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolvePromise) => {
      execFile(
        process.execPath,
        ['--conditions=@ritual/source', '--import', 'tsx', 'bench/run.ts', '--smoke', '--only', 'peers', '--out', out],
        {
          cwd: REPO,
          env: {
            ...process.env,
            RITUAL_BENCH_TRACKERS_INSTALL: '1',
            RITUAL_BENCH_TRACKERS_VENV: join(scratch, 'venv'),
            // Port 9 (discard) refuses connections: pip fails at once, as with a wrong or unreachable index.
            PIP_INDEX_URL: 'http://127.0.0.1:9/simple',
            PIP_EXTRA_INDEX_URL: '',
            PIP_FIND_LINKS: '',
          },
          timeout: 10 * 60_000,
        },
        (error, _stdout, stderr) => resolvePromise({ code: error ? Number(error.code ?? 1) : 0, stderr }),
      );
    });
    assert.equal(code, 0, stderr);
    for (const requirement of ['mlflow==3.17.2', 'wandb==0.31.0']) {
      const name = requirement.split('==')[0];
      assert.match(
        stderr,
        new RegExp(
          `bench: peers: SKIPPING ${name}: ${requirement.replace(/\./g, '\\.')} could not be installed ` +
            '\\(is PyPI, or PIP_INDEX_URL, reachable\\?\\): .+',
        ),
      );
    }
    const report = JSON.parse(await readFile(out, 'utf8')) as SuiteReport;
    assert.deepEqual(report.failures, []);
    const peers = report.figures.filter((f) => f.benchmark === 'peers');
    assert.equal(peers.length, 6);
    const startup = peers.find((f) => f.name.startsWith('start-up added'))!;
    assert.ok(Number.isFinite(startup.ours) && Number.isFinite(startup.peer), JSON.stringify(startup));
    assert.deepEqual(startup.peers, { 'MLflow file': null, 'MLflow sqlite': null, 'W&B offline': null });
    const details = (report as unknown as { details: { peers: { skipped: Record<string, string> } } }).details.peers;
    assert.deepEqual(Object.keys(details.skipped).sort(), ['mlflow', 'wandb']);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});
