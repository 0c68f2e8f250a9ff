import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { ConsoleObserver } from '@ritual/observers';

function capture(color: boolean) {
  const file = join(mkdtempSync(join(tmpdir(), 'ritual-console-')), 'out.txt');
  const fd = openSync(file, 'w');
  return { observer: new ConsoleObserver({ fd, color }), read: () => (closeSync(fd), readFileSync(file, 'utf8')) };
}

const startTime = new Date('2026-01-01T00:00:00Z');
const started = {
  runId: 7,
  experiment: { name: 'mnist', base_dir: '/x', mainfile: 'train.ts', sources: [], dependencies: [], repositories: [] },
  command: 'main',
  host: { hostname: 'box', os: ['Linux', '6'] as [string, string], node_version: '20', cpu: 'cpu', ENV: {} },
  startTime,
  config: { seed: 5, lr: 0.1 },
  meta: { command: 'main', options: {}, config_updates: {}, named_configs: [] },
};

test('prints start, heartbeats with latest metrics, a metric summary and the end', () => {
  const { observer, read } = capture(false);
  observer.started(started);
  observer.logMetrics({
    runId: 7,
    info: {},
    metrics: [{ name: 'loss', steps: [0, 1, 2], values: [0.9, 0.2, 0.5], timestamps: [0, 0, 0] }],
  });
  observer.heartbeat({
    runId: 7,
    info: {},
    capturedOutDelta: '',
    beatTime: new Date(startTime.getTime() + 1500),
    result: undefined,
  });
  observer.completed({ runId: 7, stopTime: new Date(startTime.getTime() + 3000), result: 0.97 });
  const out = read();
  assert.match(out, /started mnist #7 command=main seed=5 host=box/);
  assert.match(out, /beat mnist #7 1\.5s loss=0\.5/);
  assert.match(out, /loss\s+0\.5\s+0\.2\s+0\.9\s+3/);
  assert.match(out, /completed mnist #7 in 3\.0s result=0\.97/);
  assert.doesNotMatch(out, /\x1b\[/, 'no colour codes when colour is off');
});

test('colours when asked, and failures show the error line', () => {
  const { observer, read } = capture(true);
  observer.started(started);
  observer.failed({
    runId: 7,
    stopTime: new Date(startTime.getTime() + 1000),
    failTrace: ['Error: exploded\n', '    at main\n'],
  });
  const out = read();
  assert.match(out, /\x1b\[31mfailed/);
  assert.match(out, /Error: exploded/);
});

test('a duration just under a minute boundary rounds into the next minute (not 1m60s)', () => {
  const { observer, read } = capture(false);
  observer.started(started);
  observer.heartbeat({
    runId: 7,
    info: {},
    capturedOutDelta: '',
    beatTime: new Date(startTime.getTime() + 59_960),
    result: undefined,
  });
  observer.completed({ runId: 7, stopTime: new Date(startTime.getTime() + 119_600), result: 1 });
  const out = read();
  assert.match(out, /beat mnist #7 1m00s/);
  assert.match(out, /completed mnist #7 in 2m00s/);
});
