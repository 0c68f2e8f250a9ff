import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore, replayUndeliveredEvents } from '@ritual/observers';

const ritualCli = fileURLToPath(new URL('../../packages/cli/src/ritual.ts', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/core/storage-fault-experiment.ts', import.meta.url));

/** Runs the fixture against `runs`, with journals going to a folder of their own. */
function train(runs: string, fault: string) {
  const journals = mkdtempSync(join(tmpdir(), 'ritual-journal-'));
  const child = spawnSync(
    process.execPath,
    [
      '--conditions=@ritual/source',
      '--import',
      'tsx',
      fixture,
      '-F',
      runs,
      '-b',
      '0.05',
      'with',
      `fault=${fault}`,
      `runs=${runs}`,
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, RITUAL_JOURNAL_DIR: journals },
    },
  );
  return { ...child, journals: readdirSync(journals).map((name) => join(journals, name)) };
}

/**
 * Replays the journal into a fresh folder: the run there is complete from the
 * fault on (status, result, output, every later point). Returns the steps of
 * `loss` it holds.
 */
async function replayed(journal: string): Promise<number[]> {
  const target = mkdtempSync(join(tmpdir(), 'ritual-replayed-'));
  const id = await replayUndeliveredEvents(journal, target);
  const store = await openStore(target);
  try {
    const run = await store.get(id!);
    assert.equal(run.status, 'COMPLETED');
    assert.equal(run.result, 'finished');
    const [loss] = await store.metrics(id!, 'loss');
    assert.equal(loss?.values.at(-1), -1999, 'the last point is there');
    const [acc] = await store.metrics(id!, 'acc');
    assert.ok(Number.isNaN(acc?.values[0]), 'a NaN metric is kept as NaN');
    assert.match(run.captured_out ?? '', /training went on/);
    return loss?.steps ?? [];
  } finally {
    await store.close();
  }
}

test('runs folder deleted mid-run: reported once, training goes on, nothing is lost (journal, then ritual replay)', async () => {
  const runs = mkdtempSync(join(tmpdir(), 'ritual-deleted-'));
  const child = train(runs, 'delete');
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stderr.match(/FileStorageObserver\(.*\) failed/g)?.length, 1, child.stderr);
  assert.match(child.stdout, /training went on/);
  assert.equal(child.journals.length, 1);
  assert.match(child.stderr, /ritual replay/);
  // the folder (and what was in it) is gone; everything after the deletion is in the journal
  const steps = await replayed(child.journals[0]!);
  assert.deepEqual(
    steps,
    Array.from({ length: 2000 }, (_, i) => 2000 + i),
  );
  // the command the warning names does the same from a shell
  const target = mkdtempSync(join(tmpdir(), 'ritual-replay-cli-'));
  const cli = spawnSync(
    process.execPath,
    ['--conditions=@ritual/source', '--import', 'tsx', ritualCli, 'replay', child.journals[0]!, target],
    { encoding: 'utf8' },
  );
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, /Stored the run from .* as run 1/);
  assert.ok(readdirSync(join(target, '1')).includes('metrics.json'));
});

test('disk full (a 256 KB tmpfs) mid-run: reported once, training goes on, nothing is lost', async (t) => {
  const mountPoint = mkdtempSync(join(tmpdir(), 'ritual-full-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (mount.status !== 0) {
    t.skip(`cannot mount a small tmpfs here (${mount.stderr.trim()}); the deleted-folder test covers the same path`);
    return;
  }
  try {
    const runs = join(mountPoint, 'runs');
    mkdirSync(runs);
    const child = train(runs, 'fill');
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stderr, /ENOSPC|no space/i);
    assert.equal(child.stderr.match(/FileStorageObserver\(.*\) failed/g)?.length, 1, child.stderr);
    assert.equal(child.journals.length, 1);
    // what reached the full disk before the fault, plus the journal, is every point
    const before = await openStore(runs);
    const [stored] = await before.metrics(1, 'loss').catch(() => [undefined]);
    await before.close();
    const union = new Set([...(stored?.steps ?? []), ...(await replayed(child.journals[0]!))]);
    assert.equal(union.size, 4000, `points lost: ${4000 - union.size}`);
  } finally {
    spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
});
