import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { parseJournalLine } from '@ritual/core/observer-kit';
import { ObserverChain } from '../../packages/core/src/observer/observer-chain.js';
import { ObserverStartError } from '../../packages/core/src/errors.js';
import type { Observer } from '../../packages/core/src/observer/observer.js';

function recorder(name: string, priority: number, calls: string[], overrides: Partial<Observer> = {}): Observer {
  return {
    name,
    priority,
    started: (e) => void calls.push(`${name}.started(${String(e.runId)})`),
    heartbeat: () => void calls.push(`${name}.heartbeat`),
    completed: () => void calls.push(`${name}.completed`),
    close: () => void calls.push(`${name}.close`),
    ...overrides,
  };
}

const started = { runId: null } as never;

test('observers run in priority order and the first returned id names the run for the rest', async () => {
  const calls: string[] = [];
  const chain = new ObserverChain(
    [
      recorder('console', 10, calls),
      recorder('mongo', 30, calls, { started: (e) => (calls.push(`mongo.started(${String(e.runId)})`), 7) }),
      recorder('file', 20, calls, { started: (e) => (calls.push(`file.started(${String(e.runId)})`), 99) }),
    ],
    () => {},
  );
  const id = await chain.open('started', started);
  assert.equal(id, 7);
  assert.deepEqual(calls, ['mongo.started(null)', 'file.started(7)', 'console.started(7)']);
});

test('an observer failing at start refuses the run with a typed error', async () => {
  const chain = new ObserverChain(
    [recorder('bad', 0, [], { started: () => Promise.reject(new Error('disk on fire')) })],
    () => {},
  );
  await assert.rejects(chain.open('started', started), (error: unknown) => {
    assert.ok(error instanceof ObserverStartError);
    assert.match((error as Error).message, /bad failed to start the run: disk on fire/);
    return true;
  });
});

test('a later failure is reported once, the observer is skipped, but it still gets the end event and close', async () => {
  const calls: string[] = [];
  const warnings: string[] = [];
  let beats = 0;
  const flaky = recorder('flaky', 20, calls, {
    heartbeat: () => {
      beats++;
      throw new Error('connection lost');
    },
  });
  const chain = new ObserverChain([flaky, recorder('good', 10, calls)], (w) => warnings.push(w));
  await chain.open('started', started);
  await chain.emit('heartbeat', {});
  await chain.emit('heartbeat', {});
  await chain.end('completed', {});
  await chain.close();
  assert.equal(beats, 1);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /flaky failed in heartbeat: connection lost/);
  assert.deepEqual(
    calls.filter((c) => c.startsWith('good')),
    ['good.started(null)', 'good.heartbeat', 'good.heartbeat', 'good.completed', 'good.close'],
  );
  assert.ok(calls.includes('flaky.completed') && calls.includes('flaky.close'));
});

test('events a failed observer could not take are kept in a journal that starts with the started event', async () => {
  process.env.RITUAL_JOURNAL_DIR = mkdtempSync(join(tmpdir(), 'ritual-chain-journal-'));
  const warnings: string[] = [];
  const broken = recorder('broken', 0, [], {
    logMetrics: () => {
      throw new Error('disk full');
    },
  });
  const chain = new ObserverChain([broken], (w) => warnings.push(w), 'exp');
  await chain.open('started', { runId: 3, startTime: new Date(0) } as never);
  await chain.emit('logMetrics', {
    runId: 3,
    metrics: [{ name: 'loss', steps: [0, 1], values: [Number.NaN, -Infinity], timestamps: [1, 2] }],
  });
  await chain.emit('heartbeat', { runId: 3, beatTime: new Date(5) });
  await chain.end('completed', { runId: 3, stopTime: new Date(9), result: 1 });
  const path = /kept in (\S+);/.exec(warnings[0]!)![1]!;
  const lines = readFileSync(path, 'utf8').trim().split('\n').map(parseJournalLine);
  assert.deepEqual(
    lines.map((l) => l.method),
    ['started', 'logMetrics', 'heartbeat', 'completed'],
  );
  assert.equal(lines[0]!.event.runId, 3);
  assert.ok((lines[0]!.event.startTime as Date).getTime() === 0, 'dates come back as Dates');
  const values = (lines[1]!.event.metrics as Array<{ values: number[] }>)[0]!.values;
  assert.ok(Number.isNaN(values[0]) && values[1] === -Infinity, 'non-finite values survive');
  delete process.env.RITUAL_JOURNAL_DIR;
});
