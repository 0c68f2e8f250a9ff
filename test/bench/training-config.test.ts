import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TRAINING } from '../../bench/training-overhead.js';
import { DEFAULT_CONFIG } from '../../examples/mnist/config.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test("the training benchmark takes the example's config object itself, not a copy that could drift", () => {
  assert.equal(DEFAULT_TRAINING.model, DEFAULT_CONFIG.model);
});

test('the benchmark trains exactly what `npm start` trains by default', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ritual-bench-config-'));
  try {
    const file = path.join(dir, 'config.json');
    const child = spawnSync(
      process.execPath,
      ['--conditions=@ritual/source', '--import', 'tsx', 'examples/mnist/train.ts', 'save_config', file],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, INIT_CWD: ROOT },
      },
    );
    assert.equal(child.status, 0, child.stderr);
    const example = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const [key, value] of Object.entries(DEFAULT_TRAINING)) assert.deepEqual(value, example[key], key);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
