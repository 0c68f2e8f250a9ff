import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('../fixtures/core/lifecycle-experiment.ts', import.meta.url));

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  events: Array<Record<string, any>>;
}

function runFixture(args: string[], options: { failOn?: string; signal?: NodeJS.Signals } = {}): Promise<Child> {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-lifecycle-'));
  const eventsFile = join(dir, 'events.jsonl');
  const child = spawn(process.execPath, ['--conditions=@ritual/source', '--import', 'tsx', fixture, ...args], {
    env: {
      ...process.env,
      RITUAL_TEST_EVENTS: eventsFile,
      RITUAL_TEST_FAIL_ON: options.failOn ?? '',
      NO_COLOR: '1',
      RITUAL_JOURNAL_DIR: join(dir, 'journal'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (options.signal && stdout.includes('READY')) child.kill(options.signal);
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      const events = existsSync(eventsFile)
        ? readFileSync(eventsFile, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line))
        : [];
      resolve({ code, signal, stdout, stderr, events });
    });
  });
}

/** Event names one observer received, heartbeats and metrics collapsed to one mark. */
function sequence(events: Child['events'], observer: string): string[] {
  const names = events.filter((e) => e.observer === observer).map((e) => e.event);
  return names.filter((name, i) => !((name === 'heartbeat' || name === 'logMetrics') && names[i - 1] === name));
}

test('a completed run: started, metrics + heartbeats, completed with the result, then close; exit 0', async () => {
  const child = await runFixture(['with', 'mode=complete', '-b', '0.03']);
  assert.equal(child.code, 0, child.stderr);
  const seq = sequence(child.events, 'namer');
  assert.equal(seq[0], 'started');
  assert.deepEqual(seq.slice(-2), ['completed', 'close']);
  assert.ok(seq.includes('heartbeat'));
  const completed = child.events.find((e) => e.observer === 'namer' && e.event === 'completed')!;
  assert.equal(completed.result, 0.93);
  assert.equal(completed.runId, 42, 'the id returned by the highest-priority observer names the run');
  const flakyStart = child.events.find((e) => e.observer === 'flaky' && e.event === 'started')!;
  assert.equal(flakyStart.runId, 42, 'lower-priority observers receive the id');
  // metrics are flushed before the final heartbeat, so every point arrives
  const points = child.events
    .filter((e) => e.observer === 'namer' && e.event === 'logMetrics')
    .flatMap((e) => e.metrics.flatMap((m: any) => m.values));
  assert.deepEqual(points, [1, 1 / 2, 1 / 3]);
  const out = child.events
    .filter((e) => e.observer === 'namer' && e.event === 'heartbeat')
    .map((e) => e.out)
    .join('');
  assert.match(out, /training started/);
  assert.match(out, /last words, no newline$/, 'an unfinished last line is stored too');
  assert.equal(typeof flakyStart.config.seed, 'number');
});

test('a failing main: FAILED with the trace, the error printed, exit 1', async () => {
  const child = await runFixture(['with', 'mode=fail', '-b', '0.03']);
  assert.equal(child.code, 1);
  const seq = sequence(child.events, 'namer');
  assert.deepEqual(seq.slice(-2), ['failed', 'close']);
  const failed = child.events.find((e) => e.event === 'failed')!;
  assert.match(failed.failTrace.join(''), /main blew up/);
  assert.match(child.stderr, /main blew up/);
  assert.ok(!seq.includes('completed'));
});

test('an unhandled rejection inside main fails the run', async () => {
  const child = await runFixture(['with', 'mode=reject', '-b', '0.03']);
  assert.equal(child.code, 1);
  const failed = child.events.find((e) => e.observer === 'namer' && e.event === 'failed');
  assert.ok(failed, child.stderr);
  assert.match(failed.failTrace.join(''), /nobody awaited me/);
});

test('an exception thrown from a timer inside main fails the run', async () => {
  const child = await runFixture(['with', 'mode=uncaught', '-b', '0.03']);
  assert.equal(child.code, 1);
  const failed = child.events.find((e) => e.observer === 'namer' && e.event === 'failed');
  assert.ok(failed, child.stderr);
  assert.match(failed.failTrace.join(''), /thrown from a timer/);
});

for (const [mode, code, end] of [
  ['exit0', 0, 'completed'],
  ['exit3', 3, 'failed'],
] as const) {
  test(`process.exit(${code}) inside main: recorded as ${end} by every observer, then the process exits ${code}`, async () => {
    const child = await runFixture(['with', `mode=${mode}`, '-b', '0.03']);
    assert.equal(child.code, code, child.stderr);
    assert.doesNotMatch(child.stdout, /must not print/);
    for (const observer of ['namer', 'flaky'])
      assert.deepEqual(sequence(child.events, observer).slice(-2), [end, 'close']);
  });
}

test('--timeout: a run still going after the limit ends as TIMEOUT, exit 124', async () => {
  const child = await runFixture(['with', 'mode=hang', '-b', '0.03', '--timeout', '0.3']);
  assert.equal(child.code, 124, child.stderr);
  const interrupted = child.events.find((e) => e.observer === 'namer' && e.event === 'interrupted');
  assert.equal(interrupted?.status, 'TIMEOUT');
});

test('--timeout and a synchronous infinite loop, observers without a timeout recorder: killed after a grace period, saying the run shows as probably dead', async () => {
  const started = Date.now();
  const child = await runFixture(['with', 'mode=spin', '-b', '0.03', '--timeout', '0.5']);
  assert.equal(child.signal, 'SIGKILL', child.stderr);
  assert.ok(Date.now() - started < 25_000, 'killed long before the loop would end');
  assert.match(
    child.stderr,
    /main has not yielded to the event loop[\s\S]*No observer can record a timeout[\s\S]*probably dead/,
  );
  const seq = sequence(child.events, 'namer');
  assert.equal(seq[0], 'started');
  assert.ok(
    !seq.some((name) => ['completed', 'failed', 'interrupted'].includes(name)),
    'no end event could be recorded',
  );
});

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  test(`${signal}: INTERRUPTED with a stop time recorded by every observer, exit ${code}`, async () => {
    const child = await runFixture(['with', 'mode=hang', '-b', '0.03'], { signal });
    assert.equal(child.code, code, child.stderr);
    for (const observer of ['namer', 'flaky']) {
      const interrupted = child.events.find((e) => e.observer === observer && e.event === 'interrupted');
      assert.ok(interrupted, `${observer} got no interrupted event`);
      assert.equal(interrupted.status, 'INTERRUPTED');
      assert.ok(!Number.isNaN(Date.parse(interrupted.stopTime)));
      assert.deepEqual(sequence(child.events, observer).slice(-2), ['interrupted', 'close']);
    }
  });
}

test('an observer failing mid-run is reported once and skipped; the run still completes for everyone', async () => {
  const child = await runFixture(['with', 'mode=complete', '-b', '0.02'], { failOn: 'heartbeat' });
  assert.equal(child.code, 0, child.stderr);
  assert.equal(child.stderr.match(/flaky failed in heartbeat/g)?.length, 1);
  assert.equal(child.events.filter((e) => e.observer === 'flaky' && e.event === 'heartbeat').length, 1);
  assert.deepEqual(sequence(child.events, 'flaky').slice(-2), ['completed', 'close']);
});

test('an observer failing at start refuses the run before main: clear message, non-zero exit', async () => {
  const child = await runFixture(['with', 'mode=complete'], { failOn: 'started' });
  assert.notEqual(child.code, 0);
  assert.match(child.stderr, /flaky failed to start the run: flaky refuses started/);
  assert.doesNotMatch(child.stderr, /\n\s+at /, 'no stack trace without -d');
  assert.ok(!child.events.some((e) => e.event === 'heartbeat'), 'main never ran');
});

test('importing an automain file does not start a run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-import-'));
  process.env.RITUAL_TEST_EVENTS = join(dir, 'events.jsonl');
  await import(fixture);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(existsSync(process.env.RITUAL_TEST_EVENTS), false);
});
