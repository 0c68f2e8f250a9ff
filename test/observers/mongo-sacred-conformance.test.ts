/**
 * Conformance with Python's Sacred 0.8.7 MongoObserver on the same server:
 * an equivalent experiment run by Sacred and by ritual, their documents
 * compared field by field for names and BSON types; then incense (the Python
 * reader people use for Sacred runs) loads ritual's run.
 *
 * Deliberate differences (asserted below, reasons in packages/observers/src/mongo/README.md):
 * - meta.run_key: ritual's journal key, which makes a retried insert find its own run;
 * - host: node_version where Sacred has python_version (plus the facts ritual gathers);
 * - fs.files.md5 on sources: written so an unchanged source is reused (pymongo 4 no longer writes it).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { MongoObserver } from '../../packages/observers/src/mongo/observer.js';
import { pythonEnvOrSkip } from '../support/python-env.js';
import { bsonShape, bsonType } from '../support/bson-shape.js';
import { startMongoServer, type MongoTestServer } from '../support/mongo.js';
import { driveRun } from '../support/mongo-run-events.js';

const run = promisify(execFile);
let server: MongoTestServer;
let client: MongoClient;
let work: string;
let python: string | null = null;
let skip: string | false = false;

const SACRED_EXPERIMENT = `
import sys
from sacred import Experiment, SETTINGS
from sacred.observers import MongoObserver
SETTINGS.CAPTURE_MODE = 'sys'
url, db = sys.argv[1], sys.argv[2]
ex = Experiment('mnist')
ex.observers.append(MongoObserver(url=url, db_name=db))

@ex.config
def cfg():
    lr = 0.001
    epochs = 3
    batchSize = 64
    model = {'hidden': 128, 'layers': [[1, 2], [3, 4]]}

@ex.main
def main(_run):
    for step in range(50):
        _run.log_scalar('train.loss', 1.0 / (step + 1), step)
        _run.log_scalar('train.acc', 2.0 / (step + 1), step)
    print('beat 0')
    with open('model.json', 'w') as f:
        f.write('{"weights":[1,2,3]}')
    _run.add_artifact('model.json', name='model/model.json', metadata={'epoch': 1}, content_type='application/json')
    _run.info['custom'] = 'value'
    _run.info['beat'] = 4
    return 0.97

ex.run_commandline(['train.py', 'with', 'lr=0.001'])
`;

const INCENSE_LOAD = `
import sys, json
from incense import ExperimentLoader
from pyrsistent import thaw
loader = ExperimentLoader(mongo_uri=sys.argv[1], db_name=sys.argv[2])
exp = loader.find_by_id(int(sys.argv[3]))
print(json.dumps({
    'config': thaw(exp.config),
    'status': exp.status,
    'metrics': {name: {'steps': [int(i) for i in series.index], 'values': [None if v != v else float(v) for v in series.values]} for name, series in exp.metrics.items()},
    'artifacts': sorted(exp.artifacts.keys()),
    'artifact': exp.artifacts['model/model.json'].content.decode(),
}, default=str))
`;

before(async () => {
  const env = await pythonEnvOrSkip();
  if ('skip' in env) {
    skip = env.skip;
    return;
  }
  python = env.python;
  server = await startMongoServer({ persistent: false });
  client = await new MongoClient(server.url, { promoteValues: false }).connect();
  work = await mkdtemp(join(tmpdir(), 'ritual-mongo-sacred-'));
  await writeFile(join(work, 'train.py'), SACRED_EXPERIMENT);
  await writeFile(join(work, 'load.py'), INCENSE_LOAD);
  await run(python, [join(work, 'train.py'), server.url, 'sacred_side'], {
    cwd: work,
    timeout: 120_000,
    env: { ...process.env, PYTHONPATH: '' },
  });
  await driveRun(
    new MongoObserver({ url: server.url, dbName: 'ritual_side', journalDir: join(work, 'journal'), log: () => {} }),
    { workDir: join(work, 'src'), beats: 5 },
  );
});
after(async () => {
  await client?.close(true);
  await server?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

test("runs, metrics and fs.files documents match Sacred's field by field", { skip: false }, async (t) => {
  if (skip) return t.skip(skip);
  const sacredRun = (await client.db('sacred_side').collection('runs').findOne({}))!;
  const ourRun = (await client.db('ritual_side').collection('runs').findOne({}))!;
  const ours = bsonShape(ourRun);
  const theirs = bsonShape(sacredRun);
  const deliberate = (path: string): boolean =>
    path === 'meta.run_key' ||
    path.startsWith('host.') ||
    path.startsWith('config.') ||
    path.startsWith('meta.options.') ||
    path === 'meta.comment';
  const onlyTheirs = [...theirs.keys()].filter((path) => !ours.has(path) && !deliberate(path));
  const onlyOurs = [...ours.keys()].filter((path) => !theirs.has(path) && !deliberate(path));
  assert.deepEqual(onlyTheirs, [], 'fields Sacred writes that ritual does not');
  assert.deepEqual(onlyOurs, [], 'fields ritual writes that Sacred does not');
  for (const [path, type] of theirs) {
    if (ours.has(path) && !deliberate(path)) assert.equal(ours.get(path), type, `BSON type of ${path}`);
  }
  assert.ok(ours.has('meta.run_key'));
  assert.equal(bsonType(ourRun._id), bsonType(sacredRun._id));
  for (const field of ['lr', 'epochs', 'batchSize', 'model'])
    assert.equal(bsonType(ourRun.config[field]), bsonType(sacredRun.config[field]), `config.${field}`);
  const [ourSource] = ourRun.experiment.sources;
  const [theirSource] = sacredRun.experiment.sources;
  assert.deepEqual(
    [bsonType(ourSource[0]), bsonType(ourSource[1])],
    [bsonType(theirSource[0]), bsonType(theirSource[1])],
  );
  assert.deepEqual(Object.keys(ourRun.artifacts[0]), Object.keys(sacredRun.artifacts[0]));
  assert.deepEqual(
    ourRun.info.metrics.map((entry: Record<string, unknown>) => Object.keys(entry)),
    sacredRun.info.metrics.map((entry: Record<string, unknown>) => Object.keys(entry)),
  );
  assert.equal(bsonType(ourRun.info.metrics[0].id), bsonType(sacredRun.info.metrics[0].id));

  const ourMetric = (await client.db('ritual_side').collection('metrics').findOne({ name: 'train.acc' }))!;
  const theirMetric = (await client.db('sacred_side').collection('metrics').findOne({ name: 'train.acc' }))!;
  assert.deepEqual(Object.keys(ourMetric).sort(), Object.keys(theirMetric).sort());
  for (const field of ['_id', 'run_id', 'name'])
    assert.equal(bsonType(ourMetric[field]), bsonType(theirMetric[field]), field);
  for (const field of ['steps', 'values', 'timestamps'])
    assert.equal(bsonType(ourMetric[field][0]), bsonType(theirMetric[field][0]), `${field}[0]`);
  assert.equal(
    bsonType(ourMetric.values[1]),
    'double',
    'an integer-valued point (2/1) is still a double, as in Python',
  );

  const ourArtifact = (await client
    .db('ritual_side')
    .collection('fs.files')
    .findOne({ filename: /^artifact:/ }))!;
  const theirArtifact = (await client
    .db('sacred_side')
    .collection('fs.files')
    .findOne({ filename: /^artifact:/ }))!;
  assert.deepEqual(Object.keys(ourArtifact).sort(), Object.keys(theirArtifact).sort());
  for (const key of Object.keys(theirArtifact))
    assert.equal(bsonType(ourArtifact[key]), bsonType(theirArtifact[key]), `fs.files.${key}`);
  assert.equal(ourArtifact.filename, 'artifact://runs/1/model/model.json');
  assert.equal(theirArtifact.filename, 'artifact://runs/1/model/model.json');
  const ourSourceFile = (await client.db('ritual_side').collection('fs.files').findOne({ _id: ourSource[1] }))!;
  const theirSourceFile = (await client.db('sacred_side').collection('fs.files').findOne({ _id: theirSource[1] }))!;
  assert.deepEqual(
    Object.keys(ourSourceFile)
      .filter((key) => key !== 'md5')
      .sort(),
    Object.keys(theirSourceFile)
      .filter((key) => key !== 'md5')
      .sort(),
  );
  assert.match(String(ourSourceFile.md5), /^[0-9a-f]{32}$/);
});

test("incense loads ritual's run: config, metrics, artifacts", async (t) => {
  if (skip || !python) return t.skip(skip || 'no python');
  const { stdout } = await run(python, [join(work, 'load.py'), server.url, 'ritual_side', '1'], { timeout: 120_000 });
  const loaded = JSON.parse(stdout) as {
    config: Record<string, unknown>;
    status: string;
    metrics: Record<string, { steps: number[]; values: Array<number | null> }>;
    artifacts: string[];
    artifact: string;
  };
  assert.equal(loaded.config.lr, 0.001);
  assert.deepEqual(loaded.config.model, {
    hidden: 128,
    layers: [
      [1, 2],
      [3, 4],
    ],
  });
  assert.equal(loaded.status, 'COMPLETED');
  assert.deepEqual(Object.keys(loaded.metrics).sort(), ['train.acc', 'train.loss']);
  assert.deepEqual(
    loaded.metrics['train.acc']!.steps,
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.equal(loaded.metrics['train.acc']!.values[1], 1);
  assert.equal(loaded.metrics['train.loss']!.values[7], null, 'NaN arrives as NaN');
  assert.deepEqual(loaded.artifacts, ['model/model.json']);
  assert.equal(loaded.artifact, '{"weights":[1,2,3]}');
});
