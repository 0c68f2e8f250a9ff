// compareRuns({ output: true }) and ritual reproduce --output: captured output
// is compared line by line minus timings; a changed line is reported where it is.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Experiment } from '@ritual/core';
import { openStore, type RunStore } from '@ritual/observers';
import { FileStorageObserver } from '@ritual/observers';
import { compareRuns } from '../../packages/cli/src/main.js';
import { comparisonDifferences } from '../../packages/cli/src/divergence-text.js';
import { withoutTimings } from '../../packages/cli/src/output-comparison.js';

let dir = '';
let store: RunStore;

/** Three epochs printed with timings that differ between runs; `wrong` changes epoch 2's loss. */
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ritual-output-compare-'));
  const ex = new Experiment('output').config({ slow: 1, wrong: false }).main(({ config }) => {
    for (let epoch = 1; epoch <= 3; epoch++) {
      const loss = epoch === 2 && config.wrong ? 0.51 : 1 / (epoch + 1);
      const ms = 800 * config.slow + epoch;
      console.log(`${new Date(Date.UTC(2026, 0, epoch, config.slow)).toISOString()} epoch ${epoch}: loss ${loss}`);
      const total = (ms / 1000) * config.slow;
      console.log(`  ${ms}ms ${(ms / 64).toFixed(1)}us/step, total ${total} s (0:00:0${config.slow})`);
    }
  });
  ex.observe(new FileStorageObserver(dir));
  for (const configUpdates of [{ slow: 1 }, { slow: 3 }, { slow: 1, wrong: true }]) {
    await ex.run({ configUpdates: { seed: 5, ...configUpdates }, options: { loglevel: 'ERROR' } });
  }
  store = await openStore(dir);
});

after(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('comparing captured output', () => {
  it('timings are taken out: durations with units, clock durations, dates and times', () => {
    assert.equal(
      withoutTimings('2026-12-04T17:16:30.123Z step 3: 812ms 12.5us/step, 3.5 s, 2 min, 0:00:05, lr 1e-3, 5 steps'),
      '<time> step 3: <duration> <duration>/step, <duration>, <duration>, <duration>, lr 1e-3, 5 steps',
    );
  });

  it('two runs that printed the same lines with other timings: the same; not compared unless asked', async () => {
    const c = await compareRuns(store, 1, 2, { output: true, artifacts: false });
    const printed = (await store.get(1)).captured_out ?? '';
    assert.match(printed, /epoch 3: loss 0\.25\n {2}803ms/, 'the output was captured');
    assert.notEqual(printed, (await store.get(2)).captured_out, 'the timings really differ');
    assert.deepEqual(c.output, { same: true, linesA: 6, linesB: 6, divergence: null });
    assert.equal(c.same, true);
    assert.equal((await compareRuns(store, 1, 3, { artifacts: false })).output, null);
  });

  it('a changed line is reported at its line number, as each run printed it', async () => {
    const c = await compareRuns(store, 1, 3, { output: true, artifacts: false });
    assert.equal(c.output?.same, false);
    assert.deepEqual(c.output?.divergence, {
      line: 3,
      textA: '2026-01-02T01:00:00.000Z epoch 2: loss 0.3333333333333333',
      textB: '2026-01-02T01:00:00.000Z epoch 2: loss 0.51',
    });
    assert.equal(c.same, false);
    assert.ok(
      comparisonDifferences(c).includes(
        'output differs at line 3: "2026-01-02T01:00:00.000Z epoch 2: loss 0.3333333333333333" (run 1) vs ' +
          '"2026-01-02T01:00:00.000Z epoch 2: loss 0.51" (run 3)',
      ),
      comparisonDifferences(c).join('\n'),
    );
  });
});
