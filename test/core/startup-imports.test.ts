// Start-up (issue 7): importing ritual must not load packages that a plain
// run never uses; each is loaded on first use instead. A top-level import of
// one of them puts its cost back on every run start.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Loaded only for: YAML config files and `with` values, typo hints, printed config or the console observer, queries,
 * the CLI, MongoDB, and system metrics (once main has run for a while).
 */
const LAZY_PACKAGES = [
  'yaml',
  'fastest-levenshtein',
  'picocolors',
  'mingo',
  'commander',
  'mongodb',
  'simple-git',
  'systeminformation',
];

function packagesLoadedByImport(): Promise<string[]> {
  // Every one of these packages resolves to CommonJS under node, so require.cache sees it whether imported or required.
  const script = `
    import { createRequire } from 'node:module';
    await import('@ritual/core');
    await import('@ritual/observers');
    const cache = createRequire(import.meta.url).cache;
    const names = Object.keys(cache).map((file) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file)?.[1]).filter(Boolean);
    process.stdout.write(JSON.stringify([...new Set(names)]));
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--conditions=@ritual/source', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: ROOT, timeout: 60_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as string[]),
    );
  });
}

test('importing @ritual/core and @ritual/observers loads none of the packages a plain run does not need', async () => {
  const loaded = await packagesLoadedByImport();
  assert.ok(
    loaded.includes('seedrandom'),
    `the probe sees packages loaded at import (seedrandom is needed by every run); saw ${loaded.join(', ')}`,
  );
  assert.deepEqual(
    LAZY_PACKAGES.filter((name) => loaded.includes(name)),
    [],
  );
});
