// The same `ritual` commands against a MongoDB store: the fixture runs are
// loaded into a real MongoDB-wire server in Sacred's MongoObserver format
// (BSON Dates, config inside the run, metrics in their own collection), so
// the --where filters and the dead-run filter are checked by a real server.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromSacredTime } from '@ritual/core/observer-kit';
import { MongoClient } from 'mongodb';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';
import { FIXTURE_RUNS, firstColumn, runCli, tableRow } from './run-cli.js';

let server: MongoTestServer;
let url = '';

async function readJson(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

/** Fixture run folder -> Sacred MongoObserver documents. */
async function loadFixtureRun(
  id: number,
): Promise<{ run: Record<string, unknown>; metrics: Array<Record<string, unknown>> }> {
  const dir = path.join(FIXTURE_RUNS, String(id));
  const run = await readJson(path.join(dir, 'run.json'));
  for (const key of ['start_time', 'heartbeat', 'stop_time']) {
    run[key] = typeof run[key] === 'string' ? fromSacredTime(run[key] as string) : null;
  }
  const metricsJson = (await readJson(path.join(dir, 'metrics.json'))) as Record<
    string,
    { steps: number[]; values: number[]; timestamps: string[] }
  >;
  const metrics = Object.entries(metricsJson).map(([name, series]) => ({
    run_id: id,
    name,
    steps: series.steps,
    values: series.values,
    timestamps: series.timestamps.map(fromSacredTime),
  }));
  return {
    run: {
      ...run,
      _id: id,
      format: 'MongoObserver-0.7.0',
      config: await readJson(path.join(dir, 'config.json')),
      info: {},
      captured_out: '',
      artifacts: [],
    },
    metrics,
  };
}

before(async () => {
  server = await startMongoServer({ persistent: false });
  url = `${server.url}/ritual_cli_test`;
  const client = await MongoClient.connect(url);
  try {
    const db = client.db();
    for (const id of [1, 2, 3]) {
      const { run, metrics } = await loadFixtureRun(id);
      await db.collection('runs').insertOne(run as never);
      await db.collection('metrics').insertMany(metrics);
    }
  } finally {
    await client.close();
  }
});

after(async () => {
  await server?.dispose();
});

describe('ritual on a MongoDB store', () => {
  it('ls lists the runs with statuses and a dead RUNNING run', async () => {
    const { code, stdout, stderr } = await runCli(['ls', url]);
    assert.equal(code, 0, stderr);
    assert.deepEqual(firstColumn(stdout), ['1', '2', '3']);
    assert.deepEqual(tableRow(stdout, '1')?.slice(0, 6), [
      '1',
      'mnist',
      'COMPLETED',
      '2026-11-27 10:42:18',
      '1m46s',
      '0.9731',
    ]);
    assert.equal(tableRow(stdout, '3')?.[2], 'RUNNING?');
  });

  it('ls skips a malformed run document and names it, listing the others', async () => {
    const broken = `${server.url}/ritual_cli_broken`;
    const client = await MongoClient.connect(broken);
    try {
      const { run } = await loadFixtureRun(1);
      await client
        .db()
        .collection('runs')
        .insertOne(run as never);
      await client
        .db()
        .collection('runs')
        .insertOne({ ...run, _id: 7, start_time: 42 } as never);
    } finally {
      await client.close();
    }
    const { code, stdout, stderr } = await runCli(['ls', broken]);
    assert.equal(code, 0, stderr);
    assert.deepEqual(firstColumn(stdout), ['1']);
    assert.match(stderr, /skipped run 7: .*start_time/);
  });

  it('--where filters are run by the server: comparisons, not, in, exists, times', async () => {
    const ids = async (where: string): Promise<string[]> => {
      const { code, stdout, stderr } = await runCli(['ls', url, '--where', where]);
      assert.equal(code, 0, stderr);
      return /^No runs/.test(stdout) ? [] : firstColumn(stdout);
    };
    assert.deepEqual(await ids('config.lr < 0.01 and status = COMPLETED'), ['1']);
    assert.deepEqual(await ids('not (status = COMPLETED or config.lr > 0.05)'), ['3']);
    assert.deepEqual(await ids('status in [FAILED, RUNNING] and config.model.hidden = 256'), ['2']);
    assert.deepEqual(await ids('fail_trace exists and fail_trace != null'), ['2']);
    assert.deepEqual(await ids('(status = FAILED or config.lr < 0.002) and config.model.hidden = 128'), ['1']);
    assert.deepEqual(await ids('status = completed and not config.epochs = 10'), ['1']);
    assert.deepEqual(await ids('start_time >= 2026-11-27T10:00'), ['1', '2']);
    assert.deepEqual(await ids('{"config.batchSize": {"$lt": 64}}'), ['3']);
  });

  it('--status dead and --sort work through the server', async () => {
    assert.deepEqual(firstColumn((await runCli(['ls', url, '--status', 'dead'])).stdout), ['3']);
    assert.deepEqual(firstColumn((await runCli(['ls', url, '--sort', '-config.lr', '--limit', '2'])).stdout), [
      '2',
      '3',
    ]);
  });

  it('show, compare and metrics read the same runs', async () => {
    const show = await runCli(['show', url, '2']);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^Run 2 {2}mnist {2}FAILED/);
    assert.match(show.stdout, /FloatingPointError: loss is NaN/);
    const compare = await runCli(['compare', url, '1', '2']);
    assert.deepEqual(tableRow(compare.stdout, 'lr'), ['lr', '0.001', '0.1']);
    const csv = await runCli(['metrics', url, '1', 'acc', '--csv']);
    assert.equal(
      csv.stdout,
      'step,value,timestamp\n0,0.82,2026-11-27T10:43:10.000Z\n1,0.93,2026-11-27T10:43:11.001Z\n2,0.9731,2026-11-27T10:43:12.002Z\n',
    );
    const missing = await runCli(['show', url, '9']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /No run with id 9/);
  });

  it('fail marks the dead RUNNING run FAILED at its last heartbeat (runs after the listing tests: it changes run 3)', async () => {
    const result = await runCli(['fail', url, '3']);
    assert.equal(result.code, 0, result.stderr);
    const client = await MongoClient.connect(url);
    try {
      const run = await client
        .db()
        .collection('runs')
        .findOne({ _id: 3 as never });
      assert.equal(run?.status, 'FAILED');
      assert.equal((run!.stop_time as Date).getTime(), (run!.heartbeat as Date).getTime());
      assert.match((run!.fail_trace as string[]).join(''), /ritual fail/);
    } finally {
      await client.close();
    }
    assert.equal((await runCli(['fail', url, '3'])).code, 2, 'a second time: not RUNNING any more');
  });

  it('an unreachable server is a clear failure (exit 1), not a hang or a stack trace', async () => {
    // port 9 on the loopback: nothing listens there
    const { code, stderr } = await runCli(['ls', 'mongodb://127.0.0.1:9/nowhere']);
    assert.equal(code, 1);
    assert.match(stderr, /^ritual: Cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:9/);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });

  it('a password in the URL is never printed', async () => {
    const { stderr } = await runCli(['ls', 'mongodb://ada:s3cret@127.0.0.1:9/nowhere']);
    assert.doesNotMatch(stderr, /s3cret/);
  });
});
