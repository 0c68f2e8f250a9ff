import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { collectSources, defaultBaseDir } from '../../packages/core/src/capture/sources.js';
import { tempDir } from './fixture-tree.js';

const graph = fileURLToPath(new URL('../fixtures/capture/graph/', import.meta.url));
const main = path.join(graph, 'src/main.ts');

test('collectSources finds exactly the local files node and tsx load when the graph really runs', async () => {
  const record = path.join(tempDir('loads'), 'loads.txt');
  await promisify(execFile)(process.execPath, ['--import', 'tsx', '--import', './record-loads.mjs', 'src/main.ts'], {
    cwd: graph,
    env: { ...process.env, RITUAL_RECORD_LOADS: record },
  });
  const loaded = new Set(
    readFileSync(record, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('file:'))
      .map((url) => fileURLToPath(url))
      .filter(
        (file) =>
          file.startsWith(graph) &&
          !file.includes(`${path.sep}node_modules${path.sep}`) &&
          !file.endsWith('record-loads.mjs'),
      ),
  );
  assert.ok(loaded.size >= 12, `the recorder saw the graph load: ${[...loaded].join(', ')}`);

  const baseDir = defaultBaseDir(main);
  assert.equal(baseDir, graph.replace(/[\\/]$/, ''), 'the fixture package.json makes its folder the base dir');
  const sources = await collectSources({ mainFile: main, baseDir, extraFiles: [] });
  assert.deepEqual(sources.map((s) => s.absolutePath).sort(), [...loaded].sort());
});
