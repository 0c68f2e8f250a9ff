/**
 * The GPU probe and the processes it starts. A child process is a fork of
 * the training process (all of TensorFlow's memory write-protected, a
 * copy-on-write fault per page the training writes afterwards), so the
 * probe must not fork to learn that nvidia-smi is missing, nor once per
 * sample: its queries run in a shell of their own, started once.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { nvidiaSmiProbe } from '../../packages/core/src/system-metrics/nvidia-smi-probe.js';
import { countingProcesses } from '../support/counting-processes.js';

async function withPath<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const previous = process.env.PATH;
  process.env.PATH = path;
  try {
    return await fn();
  } finally {
    process.env.PATH = previous;
  }
}

/** A stand-in nvidia-smi printing one GPU's readings, after `sleepSeconds`. */
async function fakeNvidiaSmi(sleepSeconds = 0): Promise<string> {
  const bin = await mkdtemp(join(tmpdir(), 'ritual-smi-'));
  await writeFile(join(bin, 'nvidia-smi'), `#!/bin/sh\nsleep ${sleepSeconds}\necho "0, 35, 1024, 51, 70.20"\n`);
  await chmod(join(bin, 'nvidia-smi'), 0o755);
  return bin;
}

test('without nvidia-smi on PATH the GPU probe fails at its prime and starts no process', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'ritual-no-smi-'));
  const probe = nvidiaSmiProbe();
  const { result, started } = await withPath(empty, () => countingProcesses(() => probe.prime!()));
  assert.equal(result.status, 'rejected');
  assert.match(String((result as PromiseRejectedResult).reason), /nvidia-smi is not on PATH/);
  assert.deepEqual(started, [], 'no child process was started');
});

test('samples run nvidia-smi through one shell: one process started for many samples', async () => {
  const bin = await fakeNvidiaSmi();
  const probe = nvidiaSmiProbe();
  // PATH keeps /bin for the stand-in's sleep and echo, and its folder first.
  const { result, started } = await withPath(`${bin}:/usr/bin:/bin`, () =>
    countingProcesses(async () => {
      const readings = [];
      for (let i = 0; i < 4; i++) readings.push(await probe.sample());
      return readings;
    }),
  );
  assert.equal(result.status, 'fulfilled', String((result as PromiseRejectedResult).reason));
  const readings = (result as PromiseFulfilledResult<Array<Record<string, number>>>).value;
  assert.deepEqual(
    readings.map((reading) => reading['system.gpu.0.util_percent']),
    [35, 35, 35, 35],
  );
  assert.ok(started.length <= 1, `started ${started.join(', ')}`);
  assert.ok(started.every((command) => command === '/bin/sh'));
});

test('a query that hangs is cut at the timeout, and the next one runs', async () => {
  const slow = await fakeNvidiaSmi(30);
  const probe = nvidiaSmiProbe('nvidia-smi', 300);
  const t0 = performance.now();
  const hung = await withPath(`${slow}:/usr/bin:/bin`, () => countingProcesses(async () => probe.sample()));
  assert.equal(hung.result.status, 'rejected');
  assert.match(String((hung.result as PromiseRejectedResult).reason), /did not finish within 300 ms/);
  assert.ok(performance.now() - t0 < 5000, 'the timeout held');
  // The same probe, nvidia-smi now answering at once (found once: the stand-in's path is kept).
  const fast = join(await fakeNvidiaSmi(0), 'nvidia-smi');
  const again = nvidiaSmiProbe(fast, 5000);
  const answered = await again.sample();
  assert.equal(answered['system.gpu.0.util_percent'], 35);
});
