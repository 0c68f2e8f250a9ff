import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { captureRunContext, type RunContextOptions } from '../../packages/core/src/capture/index.js';
import { UsageError } from '../../packages/core/src/errors.js';
import { git, tempDir, writeTree } from './fixture-tree.js';

function options(mainFile: string, extra: Partial<RunContextOptions> = {}): RunContextOptions {
  return { mainFile, extraSources: [], extraDependencies: new Map(), envAllowList: [], enforceClean: false, ...extra };
}

function project(prefix: string): { root: string; main: string } {
  const root = tempDir(prefix);
  writeTree(root, {
    'package.json': '{ "name": "exp", "type": "module" }',
    'node_modules/plain/package.json': '{ "name": "plain", "version": "1.2.3" }',
    'src/train.ts': "import { model } from './model.js';\nimport 'plain';\n",
    'src/model.ts': 'export const model = 1;\n',
  });
  git(root, 'init', '-q');
  writeTree(root, { '.gitignore': 'node_modules/\n' });
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'init');
  git(root, 'remote', 'add', 'origin', 'https://user:pw@example.com/exp.git');
  return { root, main: path.join(root, 'src/train.ts') };
}

test('the whole context: experiment (base dir = package root), host, no warnings', async () => {
  const { root, main } = project('ctx');
  const commit = git(root, 'rev-parse', 'HEAD').trim();
  process.env['RITUAL_CTX_VAR'] = 'v';
  const context = await captureRunContext(
    options(main, { envAllowList: ['RITUAL_CTX_VAR'], extraDependencies: new Map([['extra-pkg', '0.0.1']]) }),
  );
  delete process.env['RITUAL_CTX_VAR'];
  assert.deepEqual(context.warnings, []);
  assert.equal(context.experiment.base_dir, root);
  assert.equal(context.experiment.mainfile, 'src/train.ts');
  assert.deepEqual(
    context.experiment.sources.map((s) => s.relativePath),
    ['src/model.ts', 'src/train.ts'],
  );
  assert.deepEqual(context.experiment.dependencies, ['extra-pkg==0.0.1', 'plain==1.2.3']);
  assert.deepEqual(context.experiment.repositories, [{ url: 'https://example.com/exp.git', commit, dirty: false }]);
  assert.deepEqual(context.host.ENV, { RITUAL_CTX_VAR: 'v' });
  assert.equal(context.host.node_version, process.versions.node);
});

test('enforceClean refuses dirty repositories, naming the files; a clean one passes', async () => {
  const { root, main } = project('ctx-clean');
  await captureRunContext(options(main, { enforceClean: true }));
  appendFileSync(path.join(root, 'src/model.ts'), '// edit\n');
  await assert.rejects(captureRunContext(options(main, { enforceClean: true })), (error: unknown) => {
    assert.ok(error instanceof UsageError, 'error instanceof UsageError');
    assert.equal(error.code, 'RITUAL_DIRTY_REPOSITORY');
    assert.match(error.message, /model\.ts/);
    return true;
  });
  // Without -e the same state is recorded as dirty, not refused.
  const context = await captureRunContext(options(main));
  assert.equal(context.experiment.repositories[0]?.dirty, true);
});

test('enforceClean outside any repository is refused (nothing proves the code is committed)', async () => {
  const root = tempDir('ctx-norepo');
  writeTree(root, { 'main.js': '' });
  const context = await captureRunContext(options(path.join(root, 'main.js')));
  assert.equal(context.warnings.length, 1);
  assert.match(context.warnings[0]!, /not in a git repository/);
  await assert.rejects(captureRunContext(options(path.join(root, 'main.js'), { enforceClean: true })), UsageError);
});

test('a failing provider becomes one warning, never a failed run', async () => {
  const { root } = project('ctx-fail');
  // A main file that does not exist breaks source collection; the run still gets host, git and warnings.
  const context = await captureRunContext(
    options(path.join(root, 'src/deleted.ts'), {
      extraSources: [path.join(root, 'missing-extra.ts')],
      extraDependencies: new Map([['x', '1']]),
    }),
  );
  assert.equal(context.warnings.length, 2, JSON.stringify(context.warnings));
  assert.match(context.warnings[0]!, /missing-extra\.ts.*does not exist/);
  assert.match(context.warnings[1]!, /Source files were not recorded: .*deleted\.ts/);
  assert.deepEqual(context.experiment.sources, []);
  assert.deepEqual(context.experiment.dependencies, ['x==1']);
  assert.equal(context.host.node_version, process.versions.node);
});

test('the main file may be a file: URL (import.meta.url)', async () => {
  const { main } = project('ctx-url');
  const context = await captureRunContext(options(new URL(`file://${main}`).href));
  assert.equal(context.experiment.mainfile, 'src/train.ts');
});
