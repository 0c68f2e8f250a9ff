// isEntryPoint under real processes: each fixture prints whether it thinks it
// is the program node started, when run directly and when loaded by another
// file, under plain node (ESM and CommonJS) and under tsx (ESM and CJS TypeScript).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { isEntryPoint } from '../../packages/core/src/commandline/index.js';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = join(root, 'test/fixtures/commandline');
const source = join(root, 'packages/core/src/commandline/entry-point.ts');
const tsxCli = join(root, 'node_modules/tsx/dist/cli.mjs');
let compiled: { mjs: string; cjs: string; dir: string };

// Plain node cannot load TypeScript: transpile the module under test (it has
// only node: imports) to an ESM and a CommonJS copy.
before(() => {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-entry-point-'));
  const text = readFileSync(source, 'utf8');
  const emit = (module: ts.ModuleKind) =>
    ts.transpileModule(text, { compilerOptions: { module, target: ts.ScriptTarget.ES2022 } }).outputText;
  compiled = { mjs: join(dir, 'entry-point.mjs'), cjs: join(dir, 'entry-point.cjs'), dir };
  writeFileSync(compiled.mjs, emit(ts.ModuleKind.ESNext));
  writeFileSync(compiled.cjs, emit(ts.ModuleKind.CommonJS));
});

async function lines(args: string[], mode: 'node' | 'tsx'): Promise<Array<Record<string, unknown>>> {
  const env = {
    ...process.env,
    RITUAL_ENTRY_POINT_MODULE: mode === 'node' ? compiled.mjs : source,
    RITUAL_ENTRY_POINT_MODULE_CJS: compiled.cjs,
  };
  const execArgv = mode === 'tsx' ? ['--import', 'tsx'] : [];
  const { stdout } = await run(process.execPath, [...execArgv, ...args], { cwd: root, env, timeout: 30_000 });
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

for (const mode of ['node', 'tsx'] as const) {
  test(`${mode}: an ESM entry file (.mjs) is the entry point via import.meta, its url and its filename`, async () => {
    assert.deepEqual(await lines([join(fixtures, 'entry.mjs')], mode), [
      { who: 'entry.mjs', meta: true, url: true, filename: true },
    ]);
  });

  test(`${mode}: an ESM or CJS file imported from another file is not the entry point`, async () => {
    assert.deepEqual(await lines([join(fixtures, 'importer.mjs')], mode), [
      { who: 'entry.mjs', meta: false, url: false, filename: false },
      { who: 'entry.cjs', module: false, filename: false, requireMain: false },
      { who: 'importer.mjs', meta: true },
    ]);
  });

  test(`${mode}: a CommonJS entry file (.cjs) is the entry point via module and __filename`, async () => {
    assert.deepEqual(await lines([join(fixtures, 'entry.cjs')], mode), [
      { who: 'entry.cjs', module: true, filename: true, requireMain: true },
    ]);
  });

  test(`${mode}: a CommonJS file required from another is not`, async () => {
    assert.deepEqual(await lines([join(fixtures, 'requirer.cjs')], mode), [
      { who: 'entry.cjs', module: false, filename: false, requireMain: false },
      { who: 'requirer.cjs', module: true },
    ]);
  });

  test(`${mode}: the entry path given without its extension`, async () => {
    assert.deepEqual(await lines([join(fixtures, 'plain')], mode), [{ who: 'plain.js', meta: true }]);
  });

  test(`${mode}: the entry path is a symlink to the file`, async () => {
    const link = join(mkdtempSync(join(tmpdir(), 'ritual-entry-link-')), 'linked.mjs');
    symlinkSync(join(fixtures, 'entry.mjs'), link);
    assert.deepEqual(await lines([link], mode), [{ who: 'entry.mjs', meta: true, url: true, filename: true }]);
  });
}

test('tsx: ESM TypeScript entry, imported TypeScript, and a .js path that tsx maps to the .ts file', async () => {
  assert.deepEqual(await lines([join(fixtures, 'entry.ts')], 'tsx'), [{ who: 'entry.ts', meta: true }]);
  assert.deepEqual(await lines([join(fixtures, 'importer.ts')], 'tsx'), [
    { who: 'entry.ts', meta: false },
    { who: 'importer.ts', meta: true },
  ]);
  assert.deepEqual(await lines([join(fixtures, 'entry.js')], 'tsx'), [{ who: 'entry.ts', meta: true }]);
});

test('tsx: CommonJS TypeScript (.cts) passes its module object', async () => {
  assert.deepEqual(await lines([join(fixtures, 'entry.cts')], 'tsx'), [
    { who: 'entry.cts', module: true, filename: true },
  ]);
  assert.deepEqual(await lines([join(fixtures, 'requirer.cts')], 'tsx'), [
    { who: 'entry.cts', module: false, filename: false },
    { who: 'requirer.cts', module: true },
  ]);
});

test('the tsx command-line tool (tsx file.ts)', async () => {
  assert.deepEqual(await lines([tsxCli, join(fixtures, 'entry.ts')], 'node'), [{ who: 'entry.ts', meta: true }]);
});

test('no entry file (node -e): nothing is the entry point', async () => {
  const code = `const { isEntryPoint } = require(${JSON.stringify(compiled.cjs)}); console.log(JSON.stringify({ who: 'eval', path: isEntryPoint(${JSON.stringify(join(fixtures, 'entry.cjs'))}), module: isEntryPoint(module) }));`;
  assert.deepEqual(await lines(['-e', code], 'node'), [{ who: 'eval', path: false, module: false }]);
});

test('in process: paths, file URLs and odd callers', () => {
  const entry = process.argv[1];
  assert.ok(entry, 'the test runner starts this file as a script');
  // Whatever the runner's entry is, a fixture path and a missing file are not it.
  assert.equal(isEntryPoint(join(fixtures, 'entry.mjs')), false);
  assert.equal(isEntryPoint(pathToFileURL(join(fixtures, 'entry.mjs')).href), false);
  assert.equal(isEntryPoint('/nonexistent/dir/file.js'), false);
  assert.equal(isEntryPoint('data:text/javascript,1'), false);
  assert.equal(isEntryPoint({}), false);
  assert.equal(isEntryPoint({ id: '.' }), false);
  assert.equal(isEntryPoint(entry), true);
  assert.equal(isEntryPoint(pathToFileURL(entry).href), true);
});
