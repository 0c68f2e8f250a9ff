/**
 * The GPU probe on a machine without nvidia-smi: dropped at its first call
 * without starting a process. A child process is a fork of the training
 * process (all of TensorFlow's memory write-protected, a copy-on-write fault
 * per page the training writes afterwards), so the probe must not fork just
 * to learn that the command is missing.
 */
import assert from 'node:assert/strict';
import childProcess from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { nvidiaSmiProbe } from '../../packages/core/src/system-metrics/nvidia-smi-probe.js';

/** Runs `fn` with node:child_process's execFile counting its calls (for ESM importers too). */
async function countingExecFile<T>(fn: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; calls: number }> {
  const original = childProcess.execFile;
  let calls = 0;
  childProcess.execFile = ((...args: Parameters<typeof original>) => {
    calls++;
    return original(...args);
  }) as typeof original;
  syncBuiltinESMExports();
  try {
    const [result] = await Promise.allSettled([fn()]);
    return { result: result!, calls };
  } finally {
    childProcess.execFile = original;
    syncBuiltinESMExports();
  }
}

async function withPath<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const previous = process.env.PATH;
  process.env.PATH = path;
  try {
    return await fn();
  } finally {
    process.env.PATH = previous;
  }
}

test('without nvidia-smi on PATH the GPU probe fails at its prime and starts no process', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'ritual-no-smi-'));
  const probe = nvidiaSmiProbe();
  const { result, calls } = await withPath(empty, () => countingExecFile(() => probe.prime!()));
  assert.equal(result.status, 'rejected');
  assert.match(String((result as PromiseRejectedResult).reason), /nvidia-smi is not on PATH/);
  assert.equal(calls, 0, 'no child process was started');
});

test('with nvidia-smi on PATH the probe runs it, found once', async () => {
  const bin = await mkdtemp(join(tmpdir(), 'ritual-smi-'));
  await writeFile(join(bin, 'nvidia-smi'), '#!/bin/sh\necho "0, 35, 1024, 51, 70.20"\n');
  await chmod(join(bin, 'nvidia-smi'), 0o755);
  const probe = nvidiaSmiProbe();
  const { result, calls } = await withPath(bin, () => countingExecFile(async () => probe.sample()));
  assert.equal(result.status, 'fulfilled', String((result as PromiseRejectedResult).reason));
  assert.equal((result as PromiseFulfilledResult<Record<string, number>>).value['system.gpu.0.util_percent'], 35);
  assert.equal(calls, 1);
  // Found at the first call: a later PATH change does not move it.
  const again = await withPath('', () => countingExecFile(async () => probe.sample()));
  assert.equal(again.result.status, 'fulfilled');
});
