/**
 * System metrics (issue 16) are ordinary metrics to the readers people use:
 * a real sampled run, stored in a folder and in MongoDB at once, is loaded by
 * incense (its FileSystemExperimentLoader and its MongoDB ExperimentLoader),
 * and every `system.*` series reads back point for point; in MongoDB each one
 * is listed in the run's `info.metrics` with the id of its metrics document,
 * which is how Omniboard finds a run's metrics.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { startMongoServer } from '../support/mongo.js';
import { pythonEnvOrSkip } from '../support/python-env.js';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'core', 'system-metrics-experiment.ts');

const INCENSE_MONGO_LOAD = `
import sys, json
from incense import ExperimentLoader
loader = ExperimentLoader(mongo_uri=sys.argv[1], db_name=sys.argv[2])
exp = loader.find_by_id(1)
print(json.dumps({name: {'steps': [int(i) for i in s.index], 'values': [float(v) for v in s.values]}
                  for name, s in exp.metrics.items()}))
`;

interface Series {
  steps: number[];
  values: number[];
}

test("incense and Omniboard's lookup read system.* metrics of a real run, file store and MongoDB", {
  timeout: 600_000,
}, async (t) => {
  const env = await pythonEnvOrSkip();
  if ('skip' in env) return t.skip(env.skip);
  const work = await mkdtemp(join(tmpdir(), 'ritual-system-readers-'));
  const runs = join(work, 'runs');
  const server = await startMongoServer({ persistent: false });
  const client = await new MongoClient(server.url).connect();
  try {
    const args = ['--conditions=@ritual/source', '--import', 'tsx', FIXTURE, '-F', runs, '-m', `${server.url}/sampled`];
    await run(process.execPath, [...args, '--system-interval', '0.5', 'with', 'seconds=2.5'], {
      cwd: ROOT,
      env: { ...process.env, RITUAL_JOURNAL_DIR: join(work, 'journal') },
      timeout: 120_000,
    });
    const stored = JSON.parse(await readFile(join(runs, '1', 'metrics.json'), 'utf8')) as Record<string, Series>;
    const systemNames = Object.keys(stored)
      .filter((name) => name.startsWith('system.'))
      .sort();
    assert.ok(
      systemNames.includes('system.process_rss_mb') && systemNames.includes('system.cpu_percent'),
      systemNames.join(),
    );

    const pick = (all: Record<string, Series>) =>
      Object.fromEntries(systemNames.map((name) => [name, { steps: all[name]?.steps, values: all[name]?.values }]));
    const expected = pick(stored);

    const { stdout: fromFiles } = await run(env.python, [join(HERE, 'incense_load.py'), runs, '1'], {
      timeout: 120_000,
    });
    assert.deepEqual(pick(JSON.parse(fromFiles)['1'].metrics), expected, 'incense FileSystemExperimentLoader');

    const loader = join(work, 'load_mongo.py');
    await writeFile(loader, INCENSE_MONGO_LOAD);
    const { stdout: fromMongo } = await run(env.python, [loader, server.url, 'sampled'], { timeout: 120_000 });
    assert.deepEqual(pick(JSON.parse(fromMongo)), expected, 'incense ExperimentLoader (MongoDB)');

    const db = client.db('sampled');
    const runDocument = (await db.collection('runs').findOne({ _id: 1 as never }))!;
    const listed = new Map(
      (runDocument.info.metrics as Array<{ name: string; id: string }>).map((entry) => [entry.name, entry.id]),
    );
    for (const name of systemNames) {
      const document = await db.collection('metrics').findOne({ run_id: 1, name });
      assert.ok(document, `metrics document for ${name}`);
      assert.equal(listed.get(name), document._id.toHexString(), `info.metrics lists ${name} with its document id`);
    }
    assert.equal(runDocument.info.system.samples >= 4, true, 'info.system is stored in MongoDB too');
  } finally {
    await client.close(true);
    await server.dispose();
  }
});
