import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { captureHost, parseNvidiaSmi } from '../../packages/core/src/capture/host.js';
import { findOnPath } from '../../packages/core/src/executable-on-path.js';
import { tempDir } from './fixture-tree.js';

const hostModule = fileURLToPath(new URL('../../packages/core/src/capture/host.ts', import.meta.url));

/** captureHost in a fresh process (the host facts are cached per process) with the given PATH. */
async function hostInChild(searchPath: string): Promise<Record<string, unknown>> {
  const script = `import { captureHost } from ${JSON.stringify(hostModule)}; console.log(JSON.stringify(await captureHost({ envAllowList: [] })));`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      env: { ...process.env, PATH: searchPath },
    },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}

test('host facts with Sacred key names, from node:os', async () => {
  const host = await captureHost({ envAllowList: [] });
  assert.equal(host.hostname, os.hostname());
  assert.deepEqual(host.os, [os.type(), `${os.type()}-${os.release()}-${os.machine()}`]);
  assert.equal(host.node_version, process.versions.node);
  assert.equal(host.cpu, os.cpus()[0]?.model.trim());
  assert.equal(host.cpu_count, os.cpus().length);
  assert.equal(host.memory_total, os.totalmem());
  assert.deepEqual(host.ENV, {});
});

test('ENV holds only allow-listed variables (a prefix with *, never everything)', async () => {
  process.env['RITUAL_TEST_ALLOWED'] = 'yes';
  process.env['RITUAL_TEST_SECRET_TOKEN'] = 'hunter2';
  process.env['RITUAL_PREFIX_A'] = 'a';
  process.env['RITUAL_PREFIX_B'] = 'b';
  try {
    const host = await captureHost({
      envAllowList: ['RITUAL_TEST_ALLOWED', 'RITUAL_PREFIX_*', 'NOT_SET_ANYWHERE', '*'],
    });
    assert.deepEqual(host.ENV, { RITUAL_TEST_ALLOWED: 'yes', RITUAL_PREFIX_A: 'a', RITUAL_PREFIX_B: 'b' });
    assert.ok(!JSON.stringify(host).includes('hunter2'), "!JSON.stringify(host).includes('hunter2')");
    // ENV is read per run; the rest is cached.
    process.env['RITUAL_TEST_ALLOWED'] = 'changed';
    assert.equal((await captureHost({ envAllowList: ['RITUAL_TEST_ALLOWED'] })).ENV['RITUAL_TEST_ALLOWED'], 'changed');
  } finally {
    for (const name of ['RITUAL_TEST_ALLOWED', 'RITUAL_TEST_SECRET_TOKEN', 'RITUAL_PREFIX_A', 'RITUAL_PREFIX_B'])
      delete process.env[name];
  }
});

test('no nvidia-smi on PATH: no gpus key, and the probe is skipped', async () => {
  const emptyBin = tempDir('no-gpu');
  assert.equal(findOnPath('nvidia-smi', emptyBin), null);
  const host = await hostInChild(emptyBin);
  assert.equal('gpus' in host, false);
  assert.equal(host['node_version'], process.versions.node);
});

test('nvidia-smi on PATH: gpus as Sacred records them', async () => {
  const bin = tempDir('fake-gpu');
  const fake = path.join(bin, 'nvidia-smi');
  // Answers the exact query host.ts makes, as the real tool prints it.
  writeFileSync(
    fake,
    '#!/bin/sh\ncase "$*" in *--query-gpu=name,memory.total,persistence_mode,driver_version*) ;; *) exit 9;; esac\n' +
      'echo "NVIDIA A100-SXM4-40GB, 40960, Enabled, 535.104.05"\necho "NVIDIA GeForce RTX 3090, 24576, Disabled, 535.104.05"\n',
  );
  chmodSync(fake, 0o755);
  assert.equal(findOnPath('nvidia-smi', bin), fake);
  const host = await hostInChild(`${bin}${path.delimiter}${process.env['PATH'] ?? ''}`);
  assert.deepEqual(host['gpus'], {
    gpus: [
      { model: 'NVIDIA A100-SXM4-40GB', total_memory: 40960, persistence_mode: true },
      { model: 'NVIDIA GeForce RTX 3090', total_memory: 24576, persistence_mode: false },
    ],
    driver_version: '535.104.05',
  });
});

test('parseNvidiaSmi: N/A fields and empty output', () => {
  assert.equal(parseNvidiaSmi(''), undefined);
  assert.deepEqual(parseNvidiaSmi('Tesla T4, [N/A], [N/A], [N/A]\n'), {
    gpus: [{ model: 'Tesla T4', total_memory: null, persistence_mode: false }],
    driver_version: null,
  });
});
