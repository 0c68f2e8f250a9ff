import assert from 'node:assert/strict';
import { cp, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIXTURE_RUNS, firstColumn, runCli, tableRow } from './run-cli.js';

describe('ritual ls on a Sacred-format runs folder (real FileRunStore)', () => {
  it('lists every readable run with id, name, status, start, duration and result', async () => {
    const { code, stdout, stderr } = await runCli(['ls', FIXTURE_RUNS]);
    assert.equal(code, 0, stderr);
    assert.deepEqual(firstColumn(stdout), ['1', '2', '3']);
    assert.deepEqual(tableRow(stdout, 'id'), ['id', 'name', 'status', 'start (UTC)', 'duration', 'result']);
    assert.deepEqual(tableRow(stdout, '1'), ['1', 'mnist', 'COMPLETED', '2026-11-27 10:42:18', '1m46s', '0.9731']);
    assert.deepEqual(tableRow(stdout, '2'), ['2', 'mnist', 'FAILED', '2026-11-27 11:00:00', '31.5s', '-']);
  });

  it('shows a RUNNING run without a heartbeat for 2 minutes as probably dead', async () => {
    const { stdout } = await runCli(['ls', FIXTURE_RUNS]);
    const row = tableRow(stdout, '3');
    assert.equal(row?.[2], 'RUNNING?');
    // duration of a dead run: start to its last heartbeat, not to now
    assert.equal(row?.[4], '15m10s');
    assert.match(stdout, /probably died/);
  });

  it('shows the same run as RUNNING while its heartbeat is fresh', async () => {
    const { stdout } = await runCli(['ls', FIXTURE_RUNS], { now: new Date('2026-11-27T09:16:00Z') });
    const row = tableRow(stdout, '3');
    assert.equal(row?.[2], 'RUNNING');
    assert.equal(row?.[4], '16m00s');
    assert.doesNotMatch(stdout, /probably died/);
  });

  it('reports the half-written run once on stderr and still lists the others', async () => {
    const { code, stdout, stderr } = await runCli(['ls', FIXTURE_RUNS]);
    assert.equal(code, 0);
    const mentions = stderr.split('\n').filter((line) => /run 4\b/.test(line));
    assert.equal(mentions.length, 1, stderr);
    assert.match(stderr, /not valid JSON/);
    assert.ok(!firstColumn(stdout).includes('4'));
  });

  it('filters with --where (readable syntax and raw JSON)', async () => {
    const readable = await runCli(['ls', FIXTURE_RUNS, '--where', 'config.lr < 0.01 and status = COMPLETED']);
    assert.equal(readable.code, 0, readable.stderr);
    assert.deepEqual(firstColumn(readable.stdout), ['1']);
    const nested = await runCli([
      'ls',
      FIXTURE_RUNS,
      '--where',
      'config.model.hidden = 128 and not status = COMPLETED',
    ]);
    assert.deepEqual(firstColumn(nested.stdout), ['3']);
    const json = await runCli(['ls', FIXTURE_RUNS, '--where', '{"config.lr": {"$gte": 0.005}}']);
    assert.deepEqual(firstColumn(json.stdout), ['2', '3']);
    const byHost = await runCli(['ls', FIXTURE_RUNS, '--where', 'host.python_version exists']);
    assert.deepEqual(firstColumn(byHost.stdout), ['2']);
    const byTime = await runCli(['ls', FIXTURE_RUNS, '-w', 'start_time >= "2026-11-27 10:00"']);
    assert.deepEqual(firstColumn(byTime.stdout), ['1', '2']);
  });

  it('says so when nothing matches', async () => {
    const { code, stdout } = await runCli(['ls', FIXTURE_RUNS, '--where', 'config.lr > 100']);
    assert.equal(code, 0);
    assert.match(stdout, /^No runs match in /);
  });

  it('refuses a bad --where with the position, exit code 2 and no stack trace', async () => {
    const { code, stdout, stderr } = await runCli(['ls', FIXTURE_RUNS, '--where', 'config.lr < and x']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /position 13/);
    assert.ok(stderr.includes('  config.lr < and x\n              ^'), stderr);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });

  it('filters by --status, including "dead"', async () => {
    assert.deepEqual(firstColumn((await runCli(['ls', FIXTURE_RUNS, '--status', 'FAILED'])).stdout), ['2']);
    assert.deepEqual(firstColumn((await runCli(['ls', FIXTURE_RUNS, '--status', 'completed,failed'])).stdout), [
      '1',
      '2',
    ]);
    assert.deepEqual(firstColumn((await runCli(['ls', FIXTURE_RUNS, '--status', 'dead'])).stdout), ['3']);
    assert.deepEqual(firstColumn((await runCli(['ls', FIXTURE_RUNS, '--status', 'FAILED,dead'])).stdout), ['2', '3']);
    // while run 3 still beats, it is not dead
    const alive = await runCli(['ls', FIXTURE_RUNS, '--status', 'dead'], { now: new Date('2026-11-27T09:16:00Z') });
    assert.match(alive.stdout, /^No runs match/);
    const bad = await runCli(['ls', FIXTURE_RUNS, '--status', 'DONE']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Unknown status "DONE".*COMPLETED/);
  });

  it('sorts and limits', async () => {
    assert.deepEqual(firstColumn((await runCli(['ls', FIXTURE_RUNS, '--sort', '-config.lr'])).stdout), ['2', '3', '1']);
    assert.deepEqual(firstColumn((await runCli(['ls', FIXTURE_RUNS, '--sort', 'config.lr'])).stdout), ['1', '3', '2']);
    assert.deepEqual(firstColumn((await runCli(['ls', FIXTURE_RUNS, '--sort', '-id'])).stdout), ['3', '2', '1']);
    assert.deepEqual(firstColumn((await runCli(['ls', FIXTURE_RUNS, '--sort', 'start'])).stdout), ['3', '1', '2']);
    assert.deepEqual(firstColumn((await runCli(['ls', FIXTURE_RUNS, '--sort', '-id', '--limit', '2'])).stdout), [
      '3',
      '2',
    ]);
    const bad = await runCli(['ls', FIXTURE_RUNS, '--limit', 'ten']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--limit needs a positive whole number/);
  });

  it('adds config columns and the last value of chosen metrics', async () => {
    const { stdout } = await runCli([
      'ls',
      FIXTURE_RUNS,
      '--columns',
      'config.lr,config.model.hidden',
      '--metrics',
      'loss,acc',
    ]);
    assert.deepEqual(tableRow(stdout, 'id')?.slice(6), ['config.lr', 'config.model.hidden', 'loss', 'acc']);
    assert.deepEqual(tableRow(stdout, '1')?.slice(6), ['0.001', '128', '0.11', '0.9731']);
    assert.deepEqual(tableRow(stdout, '2')?.slice(6), ['0.1', '256', '9.5', '-']);
    assert.deepEqual(tableRow(stdout, '3')?.slice(6), ['0.005', '128', '0.25', '0.915']);
  });

  it('prints JSON rows for scripts with --json', async () => {
    const { code, stdout } = await runCli(['ls', FIXTURE_RUNS, '--json', '-c', 'config.batchSize', '-m', 'loss']);
    assert.equal(code, 0);
    const rows = JSON.parse(stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(
      rows.map((r) => [r.id, r.status, r.probably_dead, r['config.batchSize'], r['metrics.loss']]),
      [
        [1, 'COMPLETED', false, 64, 0.11],
        [2, 'FAILED', false, 64, 9.5],
        [3, 'RUNNING?', true, 32, 0.25],
      ],
    );
    assert.equal(rows[0]?.start_time, '2026-11-27T10:42:18.123Z');
    assert.equal(rows[0]?.duration_ms, 105500);
    assert.equal(rows[0]?.result, 0.9731);
  });

  it('colours statuses only when asked (NO_COLOR / non-TTY default off)', async () => {
    const plain = await runCli(['ls', FIXTURE_RUNS]);
    assert.doesNotMatch(plain.stdout, /\x1b\[/);
    const coloured = await runCli(['ls', FIXTURE_RUNS], { color: true });
    assert.ok(coloured.stdout.includes('\x1b[32mCOMPLETED\x1b[39m'), 'COMPLETED in green');
    assert.ok(coloured.stdout.includes('\x1b[31mFAILED\x1b[39m'), 'FAILED in red');
    // colour codes take no room: every table line is as wide as the others
    const visible = coloured.stdout
      .split('\n')
      .map((line) => line.replace(/\x1b\[[0-9;]*m/g, ''))
      .filter((line) => /^[│┌├└]/.test(line))
      .map((line) => [...line].length);
    assert.equal(new Set(visible).size, 1, `widths ${visible.join(',')}`);
  });

  it('refuses a missing folder clearly', async () => {
    const { code, stderr } = await runCli(['ls', path.join(FIXTURE_RUNS, 'no-such-folder')]);
    assert.equal(code, 2);
    assert.match(stderr, /No runs folder at .*no-such-folder/);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });
});

describe('ritual ls on hand-edited and half-written runs', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ritual-ls-'));
    await cp(FIXTURE_RUNS, dir, { recursive: true });
    // 5: run.json edited by hand into something that is JSON but not a run
    await mkdir(path.join(dir, '5'));
    await writeFile(path.join(dir, '5', 'run.json'), '["not", "a", "run"]');
    // 6: a start_time no one can read
    await mkdir(path.join(dir, '6'));
    await writeFile(
      path.join(dir, '6', 'run.json'),
      JSON.stringify({ status: 'COMPLETED', start_time: 'yesterday', experiment: { name: 'x' } }),
    );
    // 7: a folder just claimed by a starting run, nothing written yet
    await mkdir(path.join(dir, '7'));
    // 8: config.json cut short beside a good run.json
    await cp(path.join(FIXTURE_RUNS, '1'), path.join(dir, '8'), { recursive: true });
    await writeFile(path.join(dir, '8', 'config.json'), '{"lr": 0.0');
    // 10: a good run whose metrics.json was cut short
    await cp(path.join(FIXTURE_RUNS, '1'), path.join(dir, '10'), { recursive: true });
    await writeFile(path.join(dir, '10', 'metrics.json'), '{"loss": {"steps": [0, 1');
    // 9: a queued run (-q), as Sacred writes it: no times yet
    await mkdir(path.join(dir, '9'));
    await writeFile(path.join(dir, '9', 'config.json'), '{"lr": 0.3}');
    await writeFile(
      path.join(dir, '9', 'run.json'),
      JSON.stringify({
        command: 'main',
        experiment: {
          name: 'mnist',
          base_dir: '/x',
          sources: [],
          dependencies: [],
          repositories: [],
          mainfile: 'train.js',
        },
        host: { hostname: 'h' },
        meta: { command: 'main', options: {}, config_updates: { lr: 0.3 }, named_configs: [] },
        status: 'QUEUED',
      }),
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('never crashes: lists the readable runs, reports each broken one once', async () => {
    const { code, stdout, stderr } = await runCli(['ls', dir]);
    assert.equal(code, 0, stderr);
    const listed = firstColumn(stdout);
    for (const id of ['1', '2', '3', '9']) assert.ok(listed.includes(id), `run ${id} listed`);
    assert.deepEqual(tableRow(stdout, '9'), ['9', 'mnist', 'QUEUED', '-', '-', '-']);
    for (const id of ['4', '5', '6', '7', '8']) {
      assert.ok(!listed.includes(id), `run ${id} not listed`);
      const lines = stderr.split('\n').filter((line) => new RegExp(`\\brun ${id}\\b`).test(line));
      assert.equal(lines.length, 1, `run ${id} reported once:\n${stderr}`);
    }
  });

  it('keeps a run whose metrics are damaged, with empty metric cells and one warning', async () => {
    const { code, stdout, stderr } = await runCli(['ls', dir, '-m', 'loss']);
    assert.equal(code, 0, stderr);
    assert.deepEqual(tableRow(stdout, '10')?.slice(-2), ['0.9731', '-']);
    assert.deepEqual(tableRow(stdout, '1')?.slice(-1), ['0.11']);
    assert.equal(stderr.split('\n').filter((line) => /run 10: cannot read its metrics/.test(line)).length, 1, stderr);
  });

  it('shows a queued run without times', async () => {
    const { code, stdout, stderr } = await runCli(['show', dir, '9']);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^Run 9 {2}mnist {2}QUEUED/);
    assert.match(stdout, /started\s+-\n/);
    assert.match(stdout, /duration\s+-\n/);
  });

  it('says so when a folder holds no runs at all', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'ritual-empty-'));
    try {
      const { code, stdout } = await runCli(['ls', empty]);
      assert.equal(code, 0);
      assert.match(stdout, /^No runs in /);
      assert.deepEqual(JSON.parse((await runCli(['ls', empty, '--json'])).stdout), []);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('show on a broken run says what is wrong, without a stack trace', async () => {
    const { code, stderr } = await runCli(['show', dir, '4']);
    assert.notEqual(code, 0);
    assert.match(stderr, /run\.json.*(cut short|not valid JSON)/);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });
});
