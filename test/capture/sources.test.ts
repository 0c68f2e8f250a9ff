import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { collectSources, defaultBaseDir } from '../../packages/core/src/capture/sources.js';
import { UsageError } from '../../packages/core/src/errors.js';
import { git, tempDir, writeTree } from './fixture-tree.js';

const md5 = (file: string): string => createHash('md5').update(readFileSync(file)).digest('hex');

// One graph mixing every module system the issue names.
const GRAPH: Record<string, string> = {
  'package.json': '{ "name": "graph", "type": "module" }',
  'src/main.ts': [
    "import { a } from './a.js';", // .js that is really .ts (tsx)
    "import b from './b';", // extension-less
    "import './dir';", // folder with index.ts
    "export * from './reexport.mjs';",
    "import data from '../data/config.json' with { type: 'json' };",
    "import type { OnlyType } from './types-only.ts';",
    "import pkg from 'some-package';",
    "import { readFileSync } from 'node:fs';",
    "// import './commented-out.js';",
    "const lazy = await import('./lazy.mts');",
    "const name = 'x'; await import('./computed-' + name + '.js');",
    "import '../../outside-base.js';",
    "import './node_modules/vendored/index.js';",
    'export const main = 1;',
  ].join('\n'),
  'src/a.ts': "import { cyc } from './cycle.ts'; export const a = require('./common.cjs');",
  'src/b.tsx': 'export default function B() { return null; }',
  'src/dir/index.ts': 'export const fromIndex = 1;',
  'src/reexport.mjs': "export { x } from './deep/leaf.js';",
  'src/deep/leaf.js': 'export const x = 1;',
  'src/cycle.ts': "import { a } from './a.js'; export const cyc = 1;",
  'src/common.cjs': "module.exports = require('./helper.cts');",
  'src/helper.cts': 'module.exports = 2;',
  'src/lazy.mts': 'export const lazy = await import(`./lazier.js`);',
  'src/lazier.js': 'export {};',
  'src/types-only.ts': 'export type OnlyType = string;',
  'src/commented-out.js': 'export {};',
  'src/computed-x.js': 'export {};',
  'src/node_modules/vendored/index.js': 'export {};',
  'data/config.json': '{ "lr": 0.1 }',
};

test('the main file and every local module it loads, transitively, in any module system', async () => {
  const root = tempDir('sources');
  const base = path.join(root, 'project');
  writeTree(base, GRAPH);
  writeTree(root, { 'outside-base.js': 'export {};' });
  const sources = await collectSources({ mainFile: path.join(base, 'src/main.ts'), baseDir: base, extraFiles: [] });
  assert.deepEqual(
    sources.map((s) => s.relativePath),
    [
      'data/config.json',
      'src/a.ts',
      'src/b.tsx',
      'src/common.cjs',
      'src/cycle.ts',
      'src/deep/leaf.js',
      'src/dir/index.ts',
      'src/helper.cts',
      'src/lazier.js',
      'src/lazy.mts',
      'src/main.ts',
      'src/reexport.mjs',
    ],
  );
  for (const source of sources) {
    assert.equal(source.absolutePath, path.join(base, ...source.relativePath.split('/')));
    assert.equal(source.md5, md5(source.absolutePath));
  }
});

test('secrets and git-ignored files are not captured unless added explicitly; tracked files behind them are', async () => {
  const base = tempDir('secrets');
  writeTree(base, {
    '.gitignore': 'generated/\nlocal-settings.js\n',
    'main.js': [
      "import './.env.local.js';",
      "import creds from './credentials.json' with { type: 'json' };",
      "const key = require('./server.key');",
      "import './generated/build.js';",
      "import './local-settings.js';",
      "import './tracked.js';",
    ].join('\n'),
    '.env.local.js': 'export const TOKEN = "secret";',
    'credentials.json': '{ "password": "hunter2" }',
    'server.key': 'PRIVATE KEY',
    'generated/build.js': "import '../behind-ignored.js';",
    'behind-ignored.js': 'export {};',
    'local-settings.js': 'export {};',
    'tracked.js': 'export {};',
    id_rsa: 'PRIVATE',
  });
  git(base, 'init', '-q');
  git(base, 'add', '-A');
  git(base, 'commit', '-q', '-m', 'init');

  const implicit = await collectSources({ mainFile: path.join(base, 'main.js'), baseDir: base, extraFiles: [] });
  assert.deepEqual(
    implicit.map((s) => s.relativePath),
    ['behind-ignored.js', 'main.js', 'tracked.js'],
  );

  const explicit = await collectSources({
    mainFile: path.join(base, 'main.js'),
    baseDir: base,
    extraFiles: [path.join(base, '.env.local.js'), path.join(base, 'generated/build.js'), path.join(base, 'id_rsa')],
  });
  assert.deepEqual(
    explicit.map((s) => s.relativePath),
    ['.env.local.js', 'behind-ignored.js', 'generated/build.js', 'id_rsa', 'main.js', 'tracked.js'],
  );
});

test('outside any git repository, sources are still collected', async () => {
  const base = tempDir('nogit');
  writeTree(base, { 'main.cjs': "require('./lib.cjs')", 'lib.cjs': 'module.exports = 1;' });
  const sources = await collectSources({ mainFile: path.join(base, 'main.cjs'), baseDir: base, extraFiles: [] });
  assert.deepEqual(
    sources.map((s) => s.relativePath),
    ['lib.cjs', 'main.cjs'],
  );
});

test('extra files are scanned too, and a missing one is a UsageError naming it', async () => {
  const base = tempDir('extra');
  writeTree(base, { 'main.js': 'export {};', 'plugin.js': "import './plugin-dep.js';", 'plugin-dep.js': '' });
  const sources = await collectSources({
    mainFile: path.join(base, 'main.js'),
    baseDir: base,
    extraFiles: [path.join(base, 'plugin.js')],
  });
  assert.deepEqual(
    sources.map((s) => s.relativePath),
    ['main.js', 'plugin-dep.js', 'plugin.js'],
  );
  await assert.rejects(
    collectSources({
      mainFile: path.join(base, 'main.js'),
      baseDir: base,
      extraFiles: [path.join(base, 'missing.js')],
    }),
    (error: unknown) => error instanceof UsageError && error.message.includes('missing.js'),
  );
  await assert.rejects(
    collectSources({ mainFile: path.join(base, 'nope.js'), baseDir: base, extraFiles: [] }),
    UsageError,
  );
});

test('the main file may be given as a file: URL', async () => {
  const base = tempDir('url');
  writeTree(base, { 'main.mjs': "import './x.mjs';", 'x.mjs': '' });
  const sources = await collectSources({
    mainFile: new URL(`file://${path.join(base, 'main.mjs')}`).href,
    baseDir: base,
    extraFiles: [],
  });
  assert.deepEqual(
    sources.map((s) => s.relativePath),
    ['main.mjs', 'x.mjs'],
  );
});

test('defaultBaseDir: the nearest package root, else the main file folder', () => {
  const root = tempDir('basedir');
  writeTree(root, { 'pkg/package.json': '{}', 'pkg/src/train/main.ts': '', 'loose/script.js': '' });
  assert.equal(defaultBaseDir(path.join(root, 'pkg/src/train/main.ts')), path.join(root, 'pkg'));
  assert.equal(defaultBaseDir(path.join(root, 'loose/script.js')), path.join(root, 'loose'));
});

test('a very large local file (a vendored bundle) is recorded but not lexed', async () => {
  const base = tempDir('bundle');
  writeTree(base, {
    'main.js': "import './vendor/bundle.js';",
    'vendor/bundle.js': `import './from-bundle.js';\n/*${'x'.repeat(1 << 20)}*/\n`,
    'vendor/from-bundle.js': '',
  });
  const sources = await collectSources({ mainFile: path.join(base, 'main.js'), baseDir: base, extraFiles: [] });
  assert.deepEqual(
    sources.map((s) => s.relativePath),
    ['main.js', 'vendor/bundle.js'],
  );
});
