// System metrics over time (issue 16), end to end: a real run of
// test/fixtures/core/system-metrics-experiment.ts stores what the sampler
// measured in a file store, read back value by value.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/core/system-metrics-experiment.ts', import.meta.url));

/** Every metric this platform's probes can report, GPUs aside. */
const PROCESS_METRICS = ['system.process_rss_mb', 'system.process_heap_mb', 'system.process_cpu_percent'];
const MACHINE_METRICS = ['system.cpu_percent', 'system.memory_percent'];
const IO_METRICS = ['system.disk_read_mb_s', 'system.disk_write_mb_s', 'system.net_rx_mb_s', 'system.net_tx_mb_s'];

interface Series {
  steps: number[];
  values: number[];
  timestamps: string[];
}

interface Stored {
  code: number | null;
  stderr: string;
  metrics: Record<string, Series>;
  info: Record<string, any>;
  run: Record<string, any>;
}

async function runFixture(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Stored> {
  const dir = await mkdtemp(join(tmpdir(), 'ritual-system-metrics-'));
  const runs = join(dir, 'runs');
  const argv = ['--conditions=@ritual/source', '--import', 'tsx', FIXTURE, '-F', runs, '-l', 'DEBUG', ...args];
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      argv,
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env } },
      (_e, _o, err) => resolve({ code: child.exitCode, stderr: err }),
    );
  });
  const read = async (name: string) => JSON.parse(await readFile(join(runs, '1', name), 'utf8'));
  return {
    code,
    stderr,
    metrics: await read('metrics.json'),
    info: await read('info.json'),
    run: await read('run.json'),
  };
}

function systemNames(metrics: Record<string, Series>): string[] {
  return Object.keys(metrics)
    .filter((name) => name.startsWith('system.'))
    .sort();
}

/** One point per tick: n ticks fit in the run's working time (the first may be missed while probes prime). */
function assertOnePointPerInterval(series: Series | undefined, name: string, seconds: number, interval: number): void {
  assert.ok(series, `${name} is stored`);
  const expected = Math.floor(seconds / interval);
  const count = series.steps.length;
  assert.ok(
    Math.abs(count - expected) <= 1,
    `${name}: ${count} points for ${seconds.toFixed(2)} s at ${interval} s (expected ${expected} +-1)`,
  );
  assert.ok(
    series.steps.every((step, i) => i === 0 || step > series.steps[i - 1]!),
    `${name}: steps increase (${series.steps.join(',')})`,
  );
  assert.ok(
    series.steps.every((step) => step >= 1 && step <= expected + 1),
    `${name}: steps are tick numbers (${series.steps.join(',')})`,
  );
  assert.ok(
    series.values.every((value) => Number.isFinite(value) && value >= 0),
    `${name}: values ${series.values.join(',')}`,
  );
}

function hasNvidiaSmi(): boolean {
  try {
    execFileSync('nvidia-smi', ['-L'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function skipLines(stderr: string, probe: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('DEBUG') && line.includes(`System metrics: ${probe}`));
}

test('--system-interval 1: each supported metric has one point per interval, and info.system sums them up', async () => {
  const stored = await runFixture(['--system-interval', '1', 'with', 'seconds=4.5']);
  assert.equal(stored.code, 0, stored.stderr);
  assert.equal(stored.run.status, 'COMPLETED');
  const seconds: number = stored.run.result.seconds;
  for (const name of [...PROCESS_METRICS, ...MACHINE_METRICS])
    assertOnePointPerInterval(stored.metrics[name], name, seconds, 1);
  // Disk and network counters are missing on some platforms: then their probe says so once.
  for (const [probe, names] of [
    ['disk', IO_METRICS.slice(0, 2)],
    ['network', IO_METRICS.slice(2)],
  ] as const) {
    if (skipLines(stored.stderr, probe).length === 1)
      for (const name of names) assert.equal(stored.metrics[name], undefined);
    else for (const name of names) assertOnePointPerInterval(stored.metrics[name], name, seconds, 1);
  }
  for (const name of ['system.cpu_percent', 'system.memory_percent']) {
    assert.ok(
      stored.metrics[name]!.values.every((value) => value <= 100),
      `${name} is a percentage`,
    );
  }
  // The fixture keeps this process busy: its CPU time cannot read as none (how much depends on the machine's load).
  assert.ok(
    stored.metrics['system.process_cpu_percent']!.values.some((value) => value > 0),
    'process CPU is measured',
  );
  if (!hasNvidiaSmi()) {
    assert.equal(skipLines(stored.stderr, 'gpu').length, 1, 'no GPU here: one debug line, no error');
    assert.ok(!systemNames(stored.metrics).some((name) => name.startsWith('system.gpu.')));
  }
  assert.doesNotMatch(stored.stderr, /WARNING|ERROR/);

  const rss = stored.metrics['system.process_rss_mb']!.values;
  const cpu = stored.metrics['system.cpu_percent']!.values;
  const round = (value: number) => Math.round(value * 10) / 10;
  assert.equal(stored.info.system.interval_s, 1);
  assert.equal(stored.info.system.peak_rss_mb, round(Math.max(...rss)));
  assert.equal(stored.info.system.cpu_percent_peak, round(Math.max(...cpu)));
  assert.equal(stored.info.system.cpu_percent_mean, round(cpu.reduce((a, b) => a + b, 0) / cpu.length));
  assert.equal(stored.info.system.gpu_memory_used_mb_peak, undefined, 'no GPU, no GPU entry');
});

test("the experiment's systemInterval applies without the flag; --system-interval 0 stores none; neither moves the seeded stream", async () => {
  const sampled = await runFixture(['with', 'seconds=2.5', 'seed=7']);
  const off = await runFixture(['--system-interval', '0', 'with', 'seconds=2.5', 'seed=7']);
  assert.equal(sampled.code, 0, sampled.stderr);
  assert.equal(off.code, 0, off.stderr);
  assertOnePointPerInterval(
    sampled.metrics['system.process_rss_mb'],
    'system.process_rss_mb',
    sampled.run.result.seconds,
    0.5,
  );
  assert.deepEqual(systemNames(off.metrics), []);
  assert.equal(off.info.system, undefined);
  assert.equal(skipLines(off.stderr, '').length, 0, 'nothing is probed when sampling is off');
  assert.equal(off.metrics.x!.steps.length > 50, true, 'main worked as long');
  // Same seed, same draws, whether or not samples were taken between them.
  assert.equal(sampled.run.result.draws.length, 40);
  assert.deepEqual(sampled.run.result.draws, off.run.result.draws);
});

/**
 * A stand-in nvidia-smi for GPUs 0 and 1. `calls` counts the sampler's queries (`--query-gpu=index,...`);
 * from query `failFrom` on it fails. Start-up host capture's own query gets a GPU name and is not counted.
 */
async function fakeNvidiaSmi(options: {
  failFrom: number;
  sleepSeconds: number;
}): Promise<{ dir: string; calls: () => Promise<number> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ritual-fake-smi-'));
  const counter = join(dir, 'calls');
  await writeFile(counter, '0');
  const script = [
    '#!/bin/sh',
    'case "$1" in --query-gpu=index,*) ;; *) echo "Fake GPU, 8192, Disabled, 550.00"; exit 0;; esac',
    `n=$(( $(cat '${counter}') + 1 )); echo $n > '${counter}'`,
    `sleep ${options.sleepSeconds}`,
    `if [ $n -ge ${options.failFrom} ]; then echo "NVIDIA-SMI has failed: driver gone" >&2; exit 9; fi`,
    'echo "0, 35, 1024, 51, 70.20"',
    'echo "1, [N/A], $((2000 + n)), 40, [Not Supported]"',
  ].join('\n');
  await writeFile(join(dir, 'nvidia-smi'), `${script}\n`);
  await chmod(join(dir, 'nvidia-smi'), 0o755);
  return { dir, calls: async () => Number(await readFile(counter, 'utf8')) };
}

test('GPU metrics from nvidia-smi; when it starts failing mid-run it is dropped with one debug line and the run completes', async () => {
  // Call 1 primes, calls 2 and 3 are samples, call 4 fails.
  const smi = await fakeNvidiaSmi({ failFrom: 4, sleepSeconds: 0 });
  const stored = await runFixture(['--system-interval', '0.5', 'with', 'seconds=3'], {
    PATH: `${smi.dir}${delimiter}${process.env.PATH}`,
  });
  assert.equal(stored.code, 0, stored.stderr);
  assert.equal(stored.run.status, 'COMPLETED');
  assert.equal(await smi.calls(), 4, 'a dropped probe is not called again');
  assert.deepEqual(stored.metrics['system.gpu.0.util_percent']!.values, [35, 35]);
  assert.deepEqual(stored.metrics['system.gpu.0.memory_used_mb']!.values, [1024, 1024]);
  assert.deepEqual(stored.metrics['system.gpu.0.temperature_c']!.values, [51, 51]);
  assert.deepEqual(stored.metrics['system.gpu.0.power_w']!.values, [70.2, 70.2]);
  assert.deepEqual(stored.metrics['system.gpu.1.memory_used_mb']!.values, [2002, 2003]);
  assert.deepEqual(stored.metrics['system.gpu.1.temperature_c']!.values, [40, 40]);
  assert.equal(stored.metrics['system.gpu.1.util_percent'], undefined, '[N/A] is left out');
  assert.equal(stored.metrics['system.gpu.1.power_w'], undefined, '[Not Supported] is left out');
  const lines = skipLines(stored.stderr, 'gpu');
  assert.equal(lines.length, 1, stored.stderr);
  assert.match(lines[0]!, /nvidia-smi/);
  assert.equal(stored.info.system.gpu_memory_used_mb_peak, 2003);
  // The other probes go on after the GPU one is dropped.
  assertOnePointPerInterval(
    stored.metrics['system.process_rss_mb'],
    'system.process_rss_mb',
    stored.run.result.seconds,
    0.5,
  );
});

test('a probe slower than the interval is not stacked: at most one nvidia-smi in flight', async () => {
  const smi = await fakeNvidiaSmi({ failFrom: 1000, sleepSeconds: 1.5 });
  const stored = await runFixture(['--system-interval', '0.5', 'with', 'seconds=4'], {
    PATH: `${smi.dir}${delimiter}${process.env.PATH}`,
  });
  assert.equal(stored.code, 0, stored.stderr);
  const calls = await smi.calls();
  // One at a time, each >= 1.5 s: at most 4 in a 4 s run (its 8 ticks would have started 8 stacked calls).
  assert.ok(calls >= 2 && calls <= 4, `nvidia-smi ran ${calls} times`);
  const gpuPoints = stored.metrics['system.gpu.0.util_percent']?.steps.length ?? 0;
  assert.ok(gpuPoints <= calls - 1, `${gpuPoints} GPU points from ${calls} calls (one was the prime)`);
  assertOnePointPerInterval(
    stored.metrics['system.process_rss_mb'],
    'system.process_rss_mb',
    stored.run.result.seconds,
    0.5,
  );
});
