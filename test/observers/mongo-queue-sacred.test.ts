/**
 * Omniboard's QUEUED status: a run queued with `-q -m` by ritual reads like one queued by Python's
 * Sacred 0.8.7 on the same server (Omniboard lists both from the same fields): the same fields with
 * the same BSON types. Deliberate differences (packages/observers/src/mongo/README.md): meta.run_key
 * (the journal key), meta.queue (the sources' md5s a worker compares, and its claims), host.* (Node
 * instead of Python facts), config values and meta.options (each program's own flags).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { pythonEnvOrSkip } from '../support/python-env.js';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';
import { bsonShape, bsonType } from '../support/bson-shape.js';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('../fixtures/core/queue-experiment.mjs', import.meta.url));
let server: MongoTestServer;
let client: MongoClient;
let work: string;
let skip: string | false = false;

const SACRED_QUEUE = `
import sys
from sacred import Experiment
from sacred.observers import MongoObserver
url, db = sys.argv[1], sys.argv[2]
ex = Experiment('queueme')
ex.observers.append(MongoObserver(url=url, db_name=db))

@ex.config
def cfg():
    i = 0
    steps = 3
    sleep = 0
    lr = 0.1

@ex.main
def main(_run):
    return 0

ex.run_commandline(['train.py', '-q', '-P', '3', 'with', 'i=4'])
`;

before(async () => {
  const env = await pythonEnvOrSkip();
  if ('skip' in env) {
    skip = env.skip;
    return;
  }
  server = await startMongoServer({ persistent: false });
  client = await new MongoClient(server.url, { promoteValues: false }).connect();
  work = await mkdtemp(join(tmpdir(), 'ritual-queue-sacred-'));
  await writeFile(join(work, 'train.py'), SACRED_QUEUE);
  await run(env.python, [join(work, 'train.py'), server.url, 'sacred_side'], {
    cwd: work,
    timeout: 120_000,
    env: { ...process.env, PYTHONPATH: '' },
  });
  await run(process.execPath, [fixture, '-q', '-P', '3', '-m', `${server.url}/ritual_side`, 'with', 'i=4'], {
    timeout: 120_000,
    env: { ...process.env, RITUAL_JOURNAL_DIR: join(work, 'journal') },
  });
});

after(async () => {
  await client?.close(true);
  await server?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

test("a run queued with -q reads like Sacred's queued run: same fields, same BSON types, status QUEUED", async (t) => {
  if (skip) return t.skip(skip);
  const theirs = (await client.db('sacred_side').collection('runs').findOne({}))!;
  const ours = (await client.db('ritual_side').collection('runs').findOne({}))!;
  assert.equal(theirs.status, 'QUEUED');
  assert.equal(ours.status, 'QUEUED');
  const deliberate = (path: string): boolean =>
    path === 'meta.run_key' ||
    path === 'meta.queue' ||
    path.startsWith('meta.queue.') ||
    path.startsWith('host.') ||
    path.startsWith('config.') ||
    path.startsWith('meta.options.');
  const ourShape = bsonShape(ours);
  const theirShape = bsonShape(theirs);
  const onlyTheirs = [...theirShape.keys()].filter((path) => !ourShape.has(path) && !deliberate(path));
  const onlyOurs = [...ourShape.keys()].filter((path) => !theirShape.has(path) && !deliberate(path));
  assert.deepEqual(onlyTheirs, [], 'fields Sacred writes that ritual does not');
  assert.deepEqual(onlyOurs, [], 'fields ritual writes that Sacred does not');
  for (const [path, type] of theirShape)
    if (ourShape.has(path) && !deliberate(path)) assert.equal(ourShape.get(path), type, `BSON type of ${path}`);
  // What Omniboard shows for a queued run: its name, command, queue time, priority and config.
  assert.equal(ours.experiment.name, theirs.experiment.name);
  assert.equal(ours.command, theirs.command);
  assert.equal(ours.meta.priority.valueOf(), theirs.meta.priority.valueOf());
  assert.equal(ours.config.i.valueOf(), theirs.config.i.valueOf());
  assert.equal(bsonType(ours.experiment.sources[0][1]), bsonType(theirs.experiment.sources[0][1]));
  for (const absent of ['start_time', 'heartbeat', 'format', 'captured_out', 'info'])
    assert.equal(absent in ours, absent in theirs, absent);
});
