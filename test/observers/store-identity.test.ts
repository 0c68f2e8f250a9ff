// A store named twice is one store, and a default store yields to the one the
// command line names.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Experiment } from '@ritual/core';
import { FileStorageObserver, MongoObserver } from '@ritual/observers';

let root: string;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ritual-store-identity-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Numeric run folders of a runs folder, sorted; [] when the folder does not exist. */
async function runIds(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
}

function experiment(): Experiment<{ lr: number }> {
  return new Experiment('identity', { baseDir: root }).config({ lr: 0.1 }).main(({ config }) => config.lr);
}

describe('an observer named twice is one store', () => {
  it('ex.observe(FileStorageObserver(dir)) plus -F dir stores each run once', async () => {
    const dir = path.join(root, 'twice');
    const ex = experiment().observe(new FileStorageObserver(dir));
    // The same folder spelled differently on the command line (relative, trailing slash).
    const run = await ex.run({ options: { fileStorage: `${path.relative(process.cwd(), dir)}/`, beatInterval: 60 } });
    assert.equal(run.id, 1);
    assert.deepEqual(await runIds(dir), [1]);
    const stored = JSON.parse(await readFile(path.join(dir, '1', 'run.json'), 'utf8'));
    assert.equal(stored.status, 'COMPLETED');
    const second = await ex.run({ options: { fileStorage: dir, beatInterval: 60 } });
    assert.equal(second.id, 2);
    assert.deepEqual(await runIds(dir), [1, 2]);
  });

  it('MongoDB observers compare by hosts, database and collection, not by spelling or credentials', () => {
    const a = MongoObserver.fromSpec('localhost:27017:sacred');
    const b = new MongoObserver({ url: 'mongodb://user:secret@LOCALHOST/sacred?retryWrites=false' });
    const c = MongoObserver.fromSpec('mongodb://localhost:27017/other');
    const d = MongoObserver.fromSpec('localhost:27017:sacred.experiments');
    assert.equal(a.writesTo, b.writesTo);
    assert.notEqual(a.writesTo, c.writesTo);
    assert.notEqual(a.writesTo, d.writesTo);
    assert.doesNotMatch(b.writesTo, /secret/);
  });
});

describe('observeByDefault', () => {
  it('stores into the default folder when the command line names no store', async () => {
    const defaults = path.join(root, 'default-only');
    const ex = experiment().observeByDefault(new FileStorageObserver(defaults));
    await ex.run({ options: { beatInterval: 60 } });
    assert.deepEqual(await runIds(defaults), [1]);
  });

  it('-F r stores run 1 in r and nothing in the default folder, even when the default has runs', async () => {
    const defaults = path.join(root, 'runs');
    const named = path.join(root, 'r');
    const ex = experiment().observeByDefault(new FileStorageObserver(defaults));
    for (let i = 0; i < 4; i++) await ex.run({ options: { beatInterval: 60 } });
    assert.deepEqual(await runIds(defaults), [1, 2, 3, 4]);
    const run = await ex.run({ options: { fileStorage: named, beatInterval: 60 } });
    assert.equal(run.id, 1);
    assert.deepEqual(await runIds(named), [1]);
    assert.deepEqual(await runIds(defaults), [1, 2, 3, 4], 'the default folder got no run');
  });

  it('-u stores nowhere', async () => {
    const defaults = path.join(root, 'unobserved');
    const ex = experiment().observeByDefault(new FileStorageObserver(defaults));
    await ex.run({ options: { unobserved: true } });
    assert.deepEqual(await runIds(defaults), []);
  });
});
