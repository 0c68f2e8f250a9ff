import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { collectDependencies, UNKNOWN_VERSION } from '../../packages/core/src/capture/dependencies.js';
import { collectSources } from '../../packages/core/src/capture/sources.js';
import { tempDir, writeTree } from './fixture-tree.js';

const manifest = (name: string, version: string, extra: object = {}): string =>
  JSON.stringify({ name, version, ...extra });

test('installed versions of the npm packages the sources import, sorted name==version', async () => {
  const base = tempDir('deps');
  writeTree(base, {
    // The declared ranges differ from what is installed: the installed version is recorded.
    'package.json': JSON.stringify({ name: 'app', dependencies: { plain: '^1.0.0', '@scope/pkg': '^2.0.0' } }),
    'node_modules/plain/package.json': manifest('plain', '1.4.2'),
    'node_modules/@scope/pkg/package.json': manifest('@scope/pkg', '2.3.0', { exports: { '.': './index.js' } }),
    'node_modules/lodash/package.json': manifest('lodash', '4.17.21'),
    'node_modules/cjs-only/package.json': manifest('cjs-only', '0.0.7'),
    'node_modules/lazy-pkg/package.json': manifest('lazy-pkg', '5.0.0'),
    'node_modules/types-only-pkg/package.json': manifest('types-only-pkg', '1.0.0'),
    'src/sub/node_modules/nested-only/package.json': manifest('nested-only', '3.1.0'),
    'main.ts': [
      "import plain from 'plain';",
      "import { thing } from '@scope/pkg/deep/path';",
      "import fp from 'lodash/fp';",
      "import fs from 'fs';",
      "import path from 'node:path';",
      "import type { T } from 'types-only-pkg';",
      "import '#internal/alias';",
      "import './src/sub/x.js';",
      "const cjs = require('cjs-only');",
      "const lazy = await import('lazy-pkg');",
      "import 'ghost-package';",
      "import alias from '@/components/alias';",
    ].join('\n'),
    'src/sub/x.js': "import nested from 'nested-only'; import plain from 'plain';",
  });
  const sources = await collectSources({ mainFile: path.join(base, 'main.ts'), baseDir: base, extraFiles: [] });
  const dependencies = await collectDependencies(sources, new Map());
  assert.deepEqual(dependencies, [
    '@scope/pkg==2.3.0',
    'cjs-only==0.0.7',
    `ghost-package==${UNKNOWN_VERSION}`,
    'lazy-pkg==5.0.0',
    'lodash==4.17.21',
    'nested-only==3.1.0',
    'plain==1.4.2',
  ]);
});

test('addPackageDependency entries are added and override detected versions', async () => {
  const base = tempDir('deps-extra');
  writeTree(base, { 'node_modules/plain/package.json': manifest('plain', '1.0.0'), 'main.mjs': "import 'plain';" });
  const sources = await collectSources({ mainFile: path.join(base, 'main.mjs'), baseDir: base, extraFiles: [] });
  const dependencies = await collectDependencies(
    sources,
    new Map([
      ['zeta-tool', '0.1.0'],
      ['plain', '1.0.0-patched'],
    ]),
  );
  assert.deepEqual(dependencies, ['plain==1.0.0-patched', 'zeta-tool==0.1.0']);
});

test('a source edited after capture is read again', async () => {
  const base = tempDir('deps-edit');
  writeTree(base, {
    'node_modules/first/package.json': manifest('first', '1.0.0'),
    'node_modules/second/package.json': manifest('second', '2.0.0'),
    'main.js': "import 'first';",
  });
  const [source] = await collectSources({ mainFile: path.join(base, 'main.js'), baseDir: base, extraFiles: [] });
  assert.deepEqual(await collectDependencies([source!], new Map()), ['first==1.0.0']);
  writeTree(base, { 'main.js': "import 'second';" });
  assert.deepEqual(await collectDependencies([{ ...source!, md5: 'changed' }], new Map()), ['second==2.0.0']);
});

test('a package upgraded between two captures of one process is recorded with its new version', async () => {
  const base = tempDir('deps-upgrade');
  writeTree(base, { 'node_modules/plain/package.json': manifest('plain', '1.0.0'), 'main.js': "import 'plain';" });
  const sources = await collectSources({ mainFile: path.join(base, 'main.js'), baseDir: base, extraFiles: [] });
  assert.deepEqual(await collectDependencies(sources, new Map()), ['plain==1.0.0']);
  writeTree(base, { 'node_modules/plain/package.json': manifest('plain', '1.1.0') });
  assert.deepEqual(await collectDependencies(sources, new Map()), ['plain==1.1.0']);
});
