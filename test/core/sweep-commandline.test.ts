// --multirun through the real command line of an experiment (a child process), stored with -F.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planSweep } from '../../packages/core/src/sweep/sweep-plan.js';

const fixture = fileURLToPath(new URL('../fixtures/core/sweep-experiment.ts', import.meta.url));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sweep(args: string[], onStart?: (child: ReturnType<typeof spawn>) => void): Promise<Result> {
  const child = spawn(process.execPath, ['--conditions=@ritual/source', '--import', 'tsx', fixture, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  onStart?.(child);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function storedRuns(dir: string) {
  return readdirSync(dir)
    .filter((name) => /^\d+$/.test(name))
    .map((name) => ({
      id: Number(name),
      run: JSON.parse(readFileSync(join(dir, name, 'run.json'), 'utf8')),
      config: JSON.parse(readFileSync(join(dir, name, 'config.json'), 'utf8')),
      cout: readFileSync(join(dir, name, 'cout.txt'), 'utf8'),
    }));
}

const tempDir = () => mkdtempSync(join(tmpdir(), 'ritual-sweep-'));

test('a 3x2 grid runs each config once as an ordinary run with meta.sweep, then ranks them', async () => {
  const dir = join(tempDir(), 'runs');
  const result = await sweep([
    '-M',
    'with',
    'lr=0.1,0.2,0.3',
    'hidden=range(64, 129, 64)',
    'opt=sgd',
    '-F',
    dir,
    '--sweep-seed',
    '11',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const runs = storedRuns(dir);
  assert.equal(runs.length, 6);
  const combos = runs.map((r) => `${r.config.lr}/${r.config.hidden}`).sort();
  assert.deepEqual(combos, ['0.1/128', '0.1/64', '0.2/128', '0.2/64', '0.3/128', '0.3/64']);
  const sweepId = runs[0]!.run.meta.sweep.id;
  assert.match(sweepId, /^[0-9a-f]{8}$/);
  assert.deepEqual(
    runs.map((r) => r.run.meta.sweep).sort((a, b) => a.index - b.index),
    [0, 1, 2, 3, 4, 5].map((index) => ({ id: sweepId, index, size: 6, seed: 11 })),
  );
  for (const r of runs) {
    assert.equal(r.run.status, 'COMPLETED');
    assert.equal(r.config.opt, 'sgd');
    assert.equal(r.run.result, r.config.lr * r.config.hidden);
    // Each run captured its own output, and only its own.
    assert.equal(r.cout.trim(), `training lr=${r.config.lr} hidden=${r.config.hidden} opt=sgd`);
    assert.equal(r.run.meta.options['--multirun'], false);
  }
  assert.equal(new Set(runs.map((r) => r.config.seed)).size, 6, 'each run has its own seed');
  // ...derived from the sweep seed: the plan of the same words and sweep seed names the same seeds.
  const planned = planSweep(['lr=0.1,0.2,0.3', 'hidden=range(64, 129, 64)', 'opt=sgd'], { sweepSeed: 11 });
  for (const r of runs) assert.equal(r.config.seed, planned.points[r.run.meta.sweep.index]!.seed);
  // The runs get the sweep's other options: -u stores nothing.
  const dir2 = join(tempDir(), 'runs');
  const again = await sweep(['-M', 'with', 'lr=0.1,0.2,0.3', 'hidden=64,128', '-F', dir2, '--sweep-seed', '11', '-u']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(existsSync(dir2), false, '-u passes to the runs: nothing stored');

  // Ranked by result, highest first: 0.3 * 128 is the best.
  const lines = result.stdout.trim().split('\n');
  const table = lines.slice(lines.findIndex((line) => line.startsWith('rank')));
  assert.match(table[0]!, /^rank\s+#\s+run\s+status\s+result\s+lr\s+hidden$/);
  const results = table.slice(1, 7).map((line) => Number(line.split(/\s+/)[4]));
  assert.deepEqual(results, [38.4, 25.6, 19.2, 12.8, 12.8, 6.4]);
  const best = runs.find((r) => r.config.lr === 0.3 && r.config.hidden === 128)!;
  assert.match(
    result.stdout,
    new RegExp(`Best \\(highest result\\): run ${best.id} \\(#5\\) lr=0.3 hidden=128 -> result 38.4`),
  );
  assert.match(result.stdout, /: 6 COMPLETED/);
});

test('--sweep-metric NAME --minimize ranks by the last value, and a failed run makes the exit code 1', async () => {
  const dir = join(tempDir(), 'runs');
  const result = await sweep([
    '-M',
    'with',
    'lr=0.1,0.5',
    'hidden=10,20',
    'failAt=20',
    '-F',
    dir,
    '--sweep-metric',
    'loss',
    '--minimize',
  ]);
  assert.equal(result.code, 1, result.stderr);
  const table = result.stdout.split('\n');
  const rows = table.slice(table.findIndex((line) => line.startsWith('rank')) + 1, -2).map((l) => l.split(/\s+/));
  // loss ends at 1 / (lr * hidden): only the hidden=10 runs completed and are ranked, lowest loss first;
  // the failed ones still show their last loss.
  assert.deepEqual(
    rows.map((cells) => [cells[0], cells[3], cells[4], cells[5], cells[6]]),
    [
      ['1', 'COMPLETED', '0.2', '0.5', '10'],
      ['2', 'COMPLETED', '1', '0.1', '10'],
      ['-', 'FAILED', '0.5', '0.1', '20'],
      ['-', 'FAILED', '0.1', '0.5', '20'],
    ],
  );
  assert.match(result.stdout, /Best \(lowest loss\): run \d+ \(#2\) lr=0.5 hidden=10 -> loss 0.2/);
  assert.equal(storedRuns(dir).filter((r) => r.run.status === 'FAILED').length, 2);
});

test('print_config --multirun lists the configs and runs nothing', async () => {
  const dir = join(tempDir(), 'runs');
  const result = await sweep([
    'print_config',
    '-M',
    '--samples',
    '3',
    '--sweep-seed',
    '5',
    '-F',
    dir,
    'with',
    'lr=loguniform(0.001, 0.1)',
    'opt=adam,sgd',
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(existsSync(dir), false);
  const headers = result.stdout.split('\n').filter((line) => line.startsWith('Run #'));
  assert.equal(headers.length, 3);
  assert.match(result.stdout, /^Sweep \(random, 3 runs, sweep seed 5\):/);
  assert.equal((result.stdout.match(/^ {2}lr = /gm) ?? []).length, 3);
  // The same sweep seed lists the same draws.
  const again = await sweep([
    'print_config',
    '-M',
    '--samples',
    '3',
    '--sweep-seed',
    '5',
    'with',
    'lr=loguniform(0.001, 0.1)',
    'opt=adam,sgd',
  ]);
  assert.equal(again.stdout, result.stdout);
});

test('bad sweep syntax is one message pointing at the character, exit 2, nothing run', async () => {
  const dir = join(tempDir(), 'runs');
  const result = await sweep(['-M', 'with', 'lr=range(1,x)', '-F', dir]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /sweepme: Bad sweep 'lr=range\(1,x\)' at character 12: range\(\) takes numbers/);
  assert.match(result.stderr, /sweepme: {3}lr=range\(1,x\)\nsweepme: {14}\^/);
  assert.doesNotMatch(result.stderr, /\n\s+at .*:\d+:\d+/);
  assert.equal(existsSync(dir), false);
  // A swept value of the wrong type is refused before any run starts.
  const typed = await sweep(['-M', 'with', 'hidden=64,wide', '-F', dir]);
  assert.equal(typed.code, 2);
  assert.match(typed.stderr, /Run #1 of the sweep \(hidden=wide\)/);
  assert.equal(existsSync(dir), false);
  const stray = await sweep(['--jobs', '2', 'with', 'lr=0.1']);
  assert.equal(stray.code, 2);
  assert.match(stray.stderr, /--jobs N sweeps; add -M/);
});

const storedTime = (text: string) => Date.parse(`${text}Z`);

test('--jobs 2 runs two configs at the same time', async () => {
  const dir = join(tempDir(), 'runs');
  const result = await sweep(['-M', '--jobs', '2', 'with', 'hidden=1,2', 'sleep=4000', '-F', dir]);
  assert.equal(result.code, 0, result.stderr);
  const runs = storedRuns(dir);
  assert.equal(runs.length, 2);
  const starts = runs.map((r) => storedTime(r.run.start_time));
  const stops = runs.map((r) => storedTime(r.run.stop_time));
  // Each run was recorded as started before the other one stopped: they overlapped.
  assert.ok(Math.max(...starts) < Math.min(...stops), `starts ${starts}, stops ${stops}`);
  // Each run's lines reach the terminal prefixed by its sweep index.
  assert.match(result.stdout, /^\[0\] training lr=0.1 hidden=1 opt=adam$/m);
  assert.match(result.stdout, /^\[1\] training lr=0.1 hidden=2 opt=adam$/m);
});

test('a signal stops the sweep: running runs INTERRUPTED with their metrics, pending never started', async () => {
  const dir = join(tempDir(), 'runs');
  const result = await sweep(
    ['-M', '--jobs', '2', 'with', 'hidden=1,2,3,4', 'sleep=120000', '-F', dir, '-b', '0.5'],
    (child) => {
      // cout.txt is written at each heartbeat (-b 0.5): once it holds main's line, main has logged its metrics.
      const poll = setInterval(() => {
        let started: ReturnType<typeof storedRuns> = [];
        try {
          started = existsSync(dir) ? storedRuns(dir).filter((r) => r.cout.includes('training')) : [];
        } catch (error) {
          // A run folder being opened has no run.json yet: look again at the next poll.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
        if (started.length === 2) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 100);
      child.on('close', () => clearInterval(poll));
    },
  );
  assert.equal(result.code, 130, result.stderr);
  const runs = storedRuns(dir);
  assert.equal(runs.length, 2, 'the pending runs never started');
  for (const r of runs) {
    assert.equal(r.run.status, 'INTERRUPTED');
    assert.ok(r.run.stop_time);
    const metrics = JSON.parse(readFileSync(join(dir, String(r.id), 'metrics.json'), 'utf8'));
    const hidden = r.config.hidden as number;
    assert.deepEqual(metrics.loss.steps, [0, 1, 2]);
    assert.deepEqual(
      metrics.loss.values,
      [1, 2, 3].map((i) => i / (3 * 0.1 * hidden)),
    );
  }
  assert.match(result.stdout, /: 2 INTERRUPTED, 2 NOT_STARTED/);
  assert.match(result.stdout, /Best: none/);
  assert.match(result.stderr, /Sweep \w+ stopped by SIGINT: the running runs were interrupted, 2 never started/);
});
