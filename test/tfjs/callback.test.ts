// The tfjs callback logs what model.fit reports, with the documented names
// and steps, and draws a progress bar only on a terminal.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Experiment } from '@ritual/core';
import { FileStorageObserver } from '@ritual/observers';
import { YIELD_EVERY_MS, createTfjsCallback } from '../../packages/core/src/tfjs/callback.js';
import { UsageError } from '../../packages/core/src/errors.js';
import { needTurnsUntil, turnsNeeded } from '../../packages/core/src/event-loop-demand.js';
import { busy } from '../support/busy-loop.js';

interface Point {
  name: string;
  value: number;
  step: number | undefined;
}

class RecordingSink {
  points: Point[] = [];
  logScalar(name: string, value: number, step?: number): void {
    this.points.push({ name, value, step });
  }
  series(name: string): Point[] {
    return this.points.filter((p) => p.name === name);
  }
}

class FakeTerminal {
  chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns = 120,
  ) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  /** What a terminal (and ritual's capture) keeps: each line's text after its last \r. */
  screen(): string[] {
    return this.chunks
      .join('')
      .split('\n')
      .map((l) => l.slice(l.lastIndexOf('\r') + 1).trimEnd())
      .filter((l) => l !== '');
  }
}

async function tinyFit(
  callbacks: unknown,
  opts: { epochs?: number; validationSplit?: number; samples?: number; batchSize?: number } = {},
) {
  await tf.setBackend('cpu');
  const n = opts.samples ?? 40;
  const x = tf.tensor2d(
    Array.from({ length: n * 2 }, (_, i) => ((i * 7) % 11) / 11),
    [n, 2],
  );
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % 2),
      'int32',
    ),
    2,
  );
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [2], units: 2, activation: 'softmax', kernelInitializer: 'zeros' })],
  });
  model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['acc'] });
  const history = await model.fit(x, y, {
    epochs: opts.epochs ?? 3,
    batchSize: opts.batchSize ?? 8,
    shuffle: false,
    verbose: 0,
    validationSplit: opts.validationSplit ?? 0,
    callbacks: callbacks as tf.CustomCallbackArgs,
  });
  return {
    model,
    history,
    dispose: () => {
      tf.dispose([x, y]);
      model.dispose();
    },
  };
}

test('epoch metrics: every key fit reports, steps = epoch index, values = history', async () => {
  const sink = new RecordingSink();
  const cb = createTfjsCallback(sink, { progress: false });
  assert.equal(
    cb.onBatchEnd,
    undefined,
    "every: 'epoch' must not hook batches (tfjs would read every batch's loss back)",
  );
  const { history, dispose } = await tinyFit(cb, { epochs: 3, validationSplit: 0.25 });
  const names = [...new Set(sink.points.map((p) => p.name))].sort();
  assert.deepEqual(names, ['acc', 'loss', 'val_acc', 'val_loss']);
  for (const name of names) {
    const s = sink.series(name);
    assert.deepEqual(
      s.map((p) => p.step),
      [0, 1, 2],
    );
    assert.deepEqual(
      s.map((p) => p.value),
      history.history[name],
    );
  }
  dispose();
});

test("every: 'batch' adds batch.<key> at a running batch step, skipping tfjs's batch/size bookkeeping", async () => {
  const sink = new RecordingSink();
  const cb = createTfjsCallback(sink, { every: 'batch', progress: false });
  const { dispose } = await tinyFit(cb, { epochs: 2, samples: 40, batchSize: 16 }); // 3 batches per epoch
  const batchLoss = sink.series('batch.loss');
  assert.deepEqual(
    batchLoss.map((p) => p.step),
    [0, 1, 2, 3, 4, 5],
  );
  assert.ok(batchLoss.every((p) => Number.isFinite(p.value) && p.value > 0));
  assert.equal(sink.series('batch.acc').length, 6);
  assert.equal(sink.series('batch.batch').length + sink.series('batch.size').length, 0);
  assert.deepEqual(
    sink.series('loss').map((p) => p.step),
    [0, 1],
  );
  dispose();
});

test('a second fit with the same callback continues the step axes; prefix names every metric', async () => {
  const sink = new RecordingSink();
  const cb = createTfjsCallback(sink, { every: 'batch', prefix: 'gen.', progress: false });
  const first = await tinyFit(cb, { epochs: 2, samples: 16, batchSize: 8 });
  first.dispose();
  const second = await tinyFit(cb, { epochs: 2, samples: 16, batchSize: 8 });
  second.dispose();
  assert.deepEqual(
    sink.series('gen.loss').map((p) => p.step),
    [0, 1, 2, 3],
  );
  assert.deepEqual(
    sink.series('gen.batch.loss').map((p) => p.step),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
  assert.equal(sink.series('loss').length, 0);
});

test('progress bar on a TTY: \\r redraws, one final line per epoch with its metrics', async () => {
  const term = new FakeTerminal(true);
  const sink = new RecordingSink();
  const { dispose } = await tinyFit(createTfjsCallback(sink, { stream: term }), {
    epochs: 3,
    samples: 40,
    batchSize: 8,
  });
  const raw = term.chunks.join('');
  assert.ok(raw.includes('\r'), 'the bar redraws in place');
  const lines = term.screen();
  assert.equal(lines.length, 3, `one line per epoch, got:\n${lines.join('\n')}`);
  lines.forEach((line, i) => {
    assert.match(line, new RegExp(`^epoch ${i + 1}/3  \\[#{20}\\]  5/5  `));
    assert.match(line, /loss \d+\.\d{4}/);
    assert.match(line, /acc \d+\.\d{4}/);
  });
  // Logging is the same with or without the bar.
  assert.deepEqual(
    sink.series('loss').map((p) => p.step),
    [0, 1, 2],
  );
  dispose();
});

test('no progress bar when the stream is not a TTY, and lines never exceed the terminal width', async () => {
  const pipe = new FakeTerminal(false);
  const cb = createTfjsCallback(new RecordingSink(), { stream: pipe });
  assert.equal(cb.onBatchEnd, undefined);
  const a = await tinyFit(cb, { epochs: 1 });
  a.dispose();
  assert.deepEqual(pipe.chunks, []);

  const narrow = new FakeTerminal(true, 30);
  const b = await tinyFit(createTfjsCallback(new RecordingSink(), { stream: narrow }), { epochs: 2 });
  b.dispose();
  for (const line of narrow.chunks.join('').split(/[\r\n]/))
    assert.ok(line.trimEnd().length < 30, `too wide: ${JSON.stringify(line)}`);
});

test('wrong arguments are usage errors that say what to pass', () => {
  assert.throws(
    () => createTfjsCallback({} as never),
    (e: unknown) => e instanceof UsageError && /logScalar/.test(e.message),
  );
  assert.throws(
    () => createTfjsCallback(new RecordingSink(), { every: 'step' as never }),
    (e: unknown) => e instanceof UsageError && /'epoch' or 'batch'/.test(e.message),
  );
});

test('the callback turns the event loop at most once per YIELD_EVERY_MS, not on each of tfjs 125 ms yields', async () => {
  const callback = createTfjsCallback(new RecordingSink(), { every: 'batch' });
  assert.ok(callback.nextFrameFunc, 'tfjs takes nextFrameFunc from the callback object');
  // Right after the last turn: resolved without a turn, so a setImmediate queued before has not run yet.
  let turned = false;
  setImmediate(() => {
    turned = true;
  });
  await callback.nextFrameFunc();
  assert.equal(turned, false);
  // Once the interval has passed: a real turn (immediates run in order, so the earlier one has run).
  await new Promise((resolve) => setTimeout(resolve, YIELD_EVERY_MS + 50));
  turned = false;
  setImmediate(() => {
    turned = true;
  });
  await callback.nextFrameFunc();
  assert.equal(turned, true);
  // And the next call, at once, is again no turn.
  turned = false;
  setImmediate(() => {
    turned = true;
  });
  await callback.nextFrameFunc();
  assert.equal(turned, false);
});

test('while a beat waits for I/O the callback turns the event loop at every batch, and only then', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ritual-callback-turns-'));
  try {
    const callback = createTfjsCallback(new RecordingSink(), { every: 'batch' });
    // Turn once now, so that no yield is due by time for the rest of the test (batches take far less than a second).
    await new Promise((resolve) => setTimeout(resolve, YIELD_EVERY_MS + 50));
    await callback.nextFrameFunc!();
    // Nothing in flight: a batch end is no turn.
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    assert.equal(callback.onBatchEnd!(0, { loss: 1 }), undefined);
    await callback.nextFrameFunc!();
    assert.equal(turned, false, 'a batch end turned the event loop with nothing waiting');

    // A beat's I/O: three file writes one after another (open, write, close each: nine round trips to the
    // thread pool), as an observer's writes are.
    const file = join(dir, 'beat.json');
    const beat = needTurnsUntil(
      (async () => {
        for (let i = 0; i < 3; i++) await writeFile(file, String(i));
      })(),
    );
    let done = false;
    void beat.then(() => {
      done = true;
    });
    let batches = 0;
    while (!done && batches < 100) {
      busy(20);
      await callback.onBatchEnd!(batches, { loss: 1 });
      await callback.nextFrameFunc!();
      batches++;
    }
    // About a round trip per batch, with room for a busy machine's slower thread pool; without the turns the
    // loop gets one a second, two or three in 100 batches of 20 ms, and the writes do not finish.
    assert.ok(done && batches <= 60, `the beat took ${batches} batches`);
    assert.equal(turnsNeeded(), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** Timestamped points, as a Run takes them. */
class TimedSink {
  points: Array<Point & { timestamp: number | undefined; arrivedAt: number }> = [];
  logScalar(name: string, value: number, step?: number, timestamp?: number): void {
    this.points.push({ name, value, step, timestamp, arrivedAt: Date.now() });
  }
  series(name: string) {
    return this.points.filter((p) => p.name === name);
  }
}

/** A tf.Callback that notes, at each batch end, how many batch.loss points the sink holds; it runs after ritual's. */
function batchWatcher(sink: TimedSink) {
  const seen: number[] = [];
  const ends: number[] = [];
  class Watcher extends tf.Callback {
    override async onBatchEnd() {
      seen.push(sink.series('batch.loss').length);
      ends.push(Date.now());
    }
  }
  return { watcher: new Watcher(), seen, ends };
}

test('given tf, the callback is a tf.Callback that logs the same points as the plain form, reading batches back together', async () => {
  const plainSink = new RecordingSink();
  const plainBefore = tf.memory().numTensors;
  const plain = await tinyFit(createTfjsCallback(plainSink, { every: 'batch', progress: false }), {
    epochs: 2,
    samples: 40,
    batchSize: 8,
    validationSplit: 0.2,
  });
  plain.dispose();
  const plainLeft = tf.memory().numTensors - plainBefore; // tinyFit's own leftovers (its one-hot's input)

  const sink = new TimedSink();
  const tensorsBefore = tf.memory().numTensors;
  const callback = createTfjsCallback(sink, { every: 'batch', progress: false, tf });
  assert.ok(callback instanceof tf.Callback, 'tfjs hands a tf.Callback its batch values unread');
  const { watcher, seen, ends } = batchWatcher(sink);
  const held = await tinyFit([callback, watcher], { epochs: 2, samples: 40, batchSize: 8, validationSplit: 0.2 });
  held.dispose();
  assert.equal(tf.memory().numTensors - tensorsBefore, plainLeft, 'every held tensor was let go');

  // The same names, steps and values (same seedless, zero-initialised model and unshuffled data).
  const view = (points: Point[]) => points.map(({ name, value, step }) => ({ name, value, step }));
  const byName = (points: Point[]) =>
    [...points].sort((a, b) => a.name.localeCompare(b.name) || (a.step ?? 0) - (b.step ?? 0));
  assert.deepEqual(view(byName(sink.points)), view(byName(plainSink.points)));
  assert.equal(sink.series('batch.loss').length, 8);

  // Read back together, not batch by batch: at each epoch's end, and at most once a second besides (a turn due
  // by time, which a loaded machine may bring mid-epoch). Read per batch, a later callback would see 8 arrivals.
  const arrivals = seen.filter((count, i) => count !== (i === 0 ? 0 : seen[i - 1])).length;
  assert.ok(arrivals <= 3, `batch points arrived at ${arrivals} of 8 batch ends: ${seen.join(',')}`);
  assert.ok(seen[4]! >= 4, 'the first epoch is read back by its end');
  // ... and each point keeps the time of its own batch.
  const stamps = sink.series('batch.loss').map((p) => p.timestamp!);
  stamps.forEach((stamp, i) => {
    assert.ok(stamp <= ends[i]! && stamp >= ends[i]! - 1000, `batch ${i} stamped ${stamp}, ended ${ends[i]}`);
  });
});

test('given tf, it works in a list of tf.Callbacks (tfjs own, a wrapped plain object); a wrong tf is a usage error', async () => {
  const sink = new TimedSink();
  const early = tf.callbacks.earlyStopping({ monitor: 'loss', patience: 100 });
  let epochsSeen = 0;
  const wrapped = new tf.CustomCallback({ onEpochEnd: () => void epochsSeen++ });
  const ritual = createTfjsCallback(sink, { every: 'batch', progress: false, tf });
  const { dispose } = await tinyFit([early, ritual, wrapped], { epochs: 2, samples: 16, batchSize: 8 });
  dispose();
  assert.equal(epochsSeen, 2, 'a plain object wrapped as tf.CustomCallback runs beside it');
  assert.deepEqual(
    sink.series('batch.loss').map((p) => p.step),
    [0, 1, 2, 3],
  );
  assert.throws(
    () => createTfjsCallback(sink, { tf: {} as never }),
    (e: unknown) => e instanceof UsageError && /import \* as tf/.test(e.message),
  );
});

test('given tf and a terminal, the bar still shows the loss, read only when it redraws', async () => {
  const term = new FakeTerminal(true);
  const { dispose } = await tinyFit(createTfjsCallback(new TimedSink(), { stream: term, tf }), {
    epochs: 2,
    samples: 40,
    batchSize: 8,
  });
  dispose();
  const lines = term.screen();
  assert.equal(lines.length, 2, lines.join('\n'));
  for (const line of lines) assert.match(line, /5\/5 .* loss \d+\.\d{4}/);
  assert.match(term.chunks.join(''), /\r[^\r\n]*loss \d+\.\d{4}/, 'a redraw mid-epoch shows the loss');
});

test('given tf, batch values still held when fit throws are stored by the run, at their own steps', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ritual-callback-held-'));
  try {
    const ex = new Experiment('held-values');
    ex.observe(new FileStorageObserver(dir));
    class FailAtBatch3 extends tf.Callback {
      override async onBatchEnd(batch: number) {
        if (batch === 3) throw new Error('the data loader broke at batch 3');
      }
    }
    ex.main(async ({ run }) => {
      await tinyFit([run.tfjsCallback({ every: 'batch', progress: false, tf }), new FailAtBatch3()], {
        epochs: 1,
        samples: 40,
        batchSize: 8,
      });
    });
    const run = await ex.run({ options: { capture: 'no' } }).catch((error: unknown) => error);
    assert.match(String(run), /the data loader broke at batch 3/);
    const metrics = JSON.parse(await readFile(join(dir, '1', 'metrics.json'), 'utf8'));
    // Batches 0-3 ended (the throw comes after ritual's callback saw batch 3); no epoch ended, no turn was due.
    assert.deepEqual(metrics['batch.loss'].steps, [0, 1, 2, 3]);
    assert.ok(metrics['batch.loss'].values.every((v: number) => Number.isFinite(v) && v > 0));
    assert.deepEqual(metrics['batch.acc'].steps, [0, 1, 2, 3]);
    const run1 = JSON.parse(await readFile(join(dir, '1', 'run.json'), 'utf8'));
    assert.equal(run1.status, 'FAILED');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
