/**
 * The suite's report: the ratio column, the table rows a reader relies on
 * (verdicts, benchmarks that did not run), the JSON file, and the runner's
 * refusal of an unknown benchmark name.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  formatMarkdown,
  formatNumber,
  formatRatio,
  formatTable,
  ratioToBestPeer,
  writeReport,
  type Figure,
  type SuiteReport,
} from '../../bench/report.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function sampleReport(): SuiteReport {
  return {
    command: 'npm run bench',
    smoke: false,
    machine: {
      cpu: 'Test CPU',
      cores: 2,
      memoryGb: 4,
      os: 'Linux 6',
      node: 'v20.0.0',
      python: '3.11.7',
      sacred: '0.8.7',
      gitCommit: 'abc1234',
      date: '2026-01-01T00:00:00.000Z',
      load: { start: 1, end: 2 },
    },
    figures: [
      {
        benchmark: 'startup',
        name: 'added start-up time',
        unit: 'ms',
        ours: 120,
        peer: 900,
        target: '<= 150 ms',
        pass: true,
      },
      {
        benchmark: 'log-scalar',
        name: 'calls/s',
        unit: 'calls/s',
        ours: 4_940_000,
        peer: 179_000,
        target: '>= 5M/s',
        pass: false,
        note: 'only the loops are timed',
      },
      { benchmark: 'memory', name: 'RSS growth', unit: 'MB', ours: 12.5, peer: null, target: '', pass: null },
    ],
    failures: [{ benchmark: 'mongo', error: 'server did not start\n    at somewhere' }],
    details: {},
  };
}

test('ratios read as multiples, tiny ones as 1/N, missing ones as a dash', () => {
  assert.equal(formatRatio(0.5), '0.500x');
  assert.equal(formatRatio(27.6), '27.6x');
  assert.equal(formatRatio(1 / 3189), '1/3189x');
  assert.equal(formatRatio(null), '–');
  assert.equal(formatRatio(Number.NaN), '–');
  assert.equal(formatNumber(4_940_000), '4.94M');
  assert.equal(formatNumber(179_000), '179k');
});

test('the table shows each verdict and each benchmark that did not run', () => {
  const lines = formatTable(sampleReport()).split('\n');
  const row = (benchmark: string) => lines.find((line) => line.startsWith(`${benchmark} `)) ?? '';
  assert.match(row('startup'), /120\s+900\s+0\.133x\s+<= 150 ms\s+pass$/);
  assert.match(row('log-scalar'), /4\.94M\s+179k\s+27\.6x\s+>= 5M\/s\s+MISS$/);
  assert.match(row('memory'), /12\.5\s+–\s+–$/);
  assert.match(row('mongo'), /did not run.*ERROR: server did not start$/);
});

test('the Markdown names the machine, the command and the notes', () => {
  const markdown = formatMarkdown(sampleReport());
  assert.match(
    markdown,
    /Test CPU \(2 cores, 4 GB\).*Node v20\.0\.0, Python 3\.11\.7 with Sacred 0\.8\.7, commit abc1234/,
  );
  assert.match(markdown, /Command: `npm run bench`/);
  assert.match(markdown, /\| log-scalar \| calls\/s \(calls\/s\) \| 4\.94M \| 179k \| 27\.6x \| >= 5M\/s \| MISS \|/);
  assert.match(markdown, /- \*\*log-scalar \/ calls\/s\*\*: only the loops are timed/);
});

test('the JSON report is written whole, with no temporary file left behind', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ritual-bench-report-'));
  try {
    const path = join(dir, 'results', 'latest.json');
    await writeReport(path, sampleReport());
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), sampleReport());
    assert.deepEqual(await readdir(join(dir, 'results')), ['latest.json']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an unknown benchmark name is refused with the list of names, before anything runs', async () => {
  const error = await promisify(execFile)(
    process.execPath,
    ['--conditions=@ritual/source', '--import', 'tsx', 'bench/run.ts', '--only', 'nope'],
    { cwd: REPO },
  ).then(
    () => assert.fail('bench/run.ts --only nope succeeded'),
    (failure: { code: number; stderr: string }) => failure,
  );
  assert.equal(error.code, 2);
  assert.match(
    error.stderr,
    new RegExp(
      'Unknown benchmark "nope"\\. Choose from: startup, run-start, log-scalar, heartbeat, mongo, training, system-sampling, ' +
        'memory, reproduce, sweep, run-listing, board, queue, peers\\.',
    ),
  );
  assert.doesNotMatch(error.stderr, /bench: startup/);
});

test('the peers columns: each tracker, and ritual over the best of Sacred and the trackers in the right direction', () => {
  const startup: Figure = {
    benchmark: 'peers',
    name: 'start-up added',
    unit: 'ms',
    ours: 46,
    peer: 544,
    peers: { 'MLflow file': 1277, 'MLflow sqlite': 2066, 'W&B offline': 893 },
    better: 'lower',
    target: '',
    pass: null,
  };
  const calls: Figure = {
    ...startup,
    name: 'per-call',
    unit: 'calls/s',
    ours: 14_200_000,
    peer: 528_000,
    peers: { 'MLflow file': 2800, 'MLflow sqlite': null, 'W&B offline': 8000 },
    better: 'higher',
  };
  // Lower is better: the best is Sacred's 544 ms; higher is better: Sacred's 528k, a skipped tracker (null) ignored.
  assert.equal(ratioToBestPeer(startup), 46 / 544);
  assert.equal(ratioToBestPeer(calls), 14_200_000 / 528_000);
  assert.equal(ratioToBestPeer({ ...calls, peer: null, peers: { 'W&B offline': 8000 } }), 14_200_000 / 8000);
  assert.equal(ratioToBestPeer({ ...calls, ours: null }), null);
  assert.equal(ratioToBestPeer(sampleReport().figures[0]!), null, 'no peers, no ratio');

  const report = { ...sampleReport(), figures: [...sampleReport().figures, startup, calls] };
  const lines = formatTable(report).split('\n');
  assert.match(lines[0]!, /result\s+MLflow file\s+MLflow sqlite\s+W&B offline\s+ritual \/ best$/);
  assert.match(
    lines.find((line) => line.includes('start-up added'))!,
    /46\.0\s+544\s+.*1277\s+2066\s+893\s+1\/11\.8x$/,
  );
  assert.match(lines.find((line) => line.includes('per-call'))!, /2800\s+–\s+8000\s+26\.9x$/);
  // Figures of other benchmarks leave the peers cells empty.
  assert.match(lines.find((line) => line.startsWith('startup '))!, /pass$/);
  const markdown = formatMarkdown({ ...report, machine: { ...report.machine, trackers: { mlflow: '3.17.2' } } });
  assert.match(
    markdown,
    /\| peers \| per-call \(calls\/s\) \| 14\.20M \| 528k \| 26\.9x \| {2}\| {2}\| 2800 \| – \| 8000 \| 26\.9x \|/,
  );
  assert.match(markdown, /"ritual \/ best" divides by the best of Sacred and the other trackers .*\(mlflow 3\.17\.2\)/);
});
