// A run must never break the user's own toolchain. The runs folder lives in
// the user's project; a tsconfig without `include` (what `tsc --init` writes)
// compiles every .ts below it, typed ESLint lints every .ts, vitest globs test
// files. Stored source copies (`runs/_sources/train_<md5>.ts`, importing a
// `./data.js` that is not there under that name) used to break all of that
// after one `-F runs` run. Here: a real project, a real run, the real tools.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileRunStore } from '@ritual/observers';
import { REPO_ROOT } from '../tfjs/child-run.js';

const BIN = join(REPO_ROOT, 'node_modules', '.bin');

interface Result {
  code: number;
  output: string;
}

function exec(file: string, args: string[], cwd: string): Promise<Result> {
  return new Promise((resolve) => {
    const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', CI: '1' };
    execFile(file, args, { cwd, env, timeout: 90_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

const FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'user-project', private: true, type: 'module' }, null, 2),
  'data.ts': `export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
`,
  'train.ts': `import { Experiment } from '@ritual/core';
import { mean } from './data.js';

const ex = new Experiment('user-project').config({ values: [1, 2, 3] });

ex.automain(import.meta, ({ config }) => mean(config.values));
`,
  'data.test.ts': `import { expect, test } from 'vitest';
import { mean } from './data.js';

test('mean', () => {
  expect(mean([1, 2, 3])).toBe(2);
});
`,
  // typescript-eslint's typed setup, as its getting-started page writes it.
  'eslint.config.js': `import tseslint from 'typescript-eslint';

export default tseslint.config({
  files: ['**/*.ts'],
  extends: [tseslint.configs.recommendedTypeChecked],
  languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
});
`,
};

let project: string;

before(async () => {
  // The fixture reads @ritual/* types from dist, as an installed package would.
  const build = await exec(join(BIN, 'tsc'), ['-b', 'packages/core', 'packages/observers'], REPO_ROOT);
  assert.equal(build.code, 0, build.output);
  project = await mkdtemp(join(tmpdir(), 'ritual-user-project-'));
  await symlink(join(REPO_ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
  for (const [name, text] of Object.entries(FILES)) await writeFile(join(project, name), text);
  const init = await exec(join(BIN, 'tsc'), ['--init'], project);
  assert.equal(init.code, 0, init.output);
});

after(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe("the user's toolchain after a `-F runs` run", () => {
  it('tsc, eslint and vitest stay green; the stored copies are readable through run.json', async () => {
    const tsconfig = await readFile(join(project, 'tsconfig.json'), 'utf8');
    assert.match(tsconfig, /"module": "nodenext"/);
    assert.doesNotMatch(tsconfig, /"include"/);
    const before = await exec(join(BIN, 'tsc'), ['--noEmit', '-p', project], project);
    assert.equal(before.code, 0, `the project is green before any run:\n${before.output}`);

    const run = await exec(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'train.ts', '-F', 'runs'],
      project,
    );
    assert.equal(run.code, 0, run.output);
    const store = await FileRunStore.open(join(project, 'runs'));
    const stored = await store.get(1);
    await store.close();
    assert.equal(stored.status, 'COMPLETED');
    assert.equal(stored.result, 2);
    const sources = new Map(stored.experiment?.sources ?? []);
    assert.deepEqual([...sources.keys()].sort(), ['data.ts', 'train.ts']);
    for (const [relpath, copy] of sources) {
      assert.match(copy, new RegExp(`^_sources/${relpath.replace('.ts', '')}_[0-9a-f]{32}\\.ts\\.txt$`));
      assert.equal(await readFile(join(project, 'runs', copy), 'utf8'), FILES[relpath], `${copy} is ${relpath}`);
    }
    assert.deepEqual(
      (await readdir(join(project, 'runs', '_sources'))).sort(),
      [...sources.values()].map((c) => c.slice(9)).sort(),
    );

    const tsc = await exec(join(BIN, 'tsc'), ['--noEmit', '-p', project], project);
    assert.equal(tsc.code, 0, `tsc:\n${tsc.output}`);
    const eslint = await exec(join(BIN, 'eslint'), ['.'], project);
    assert.equal(eslint.code, 0, `eslint:\n${eslint.output}`);
    const vitest = await exec(join(BIN, 'vitest'), ['run'], project);
    assert.equal(vitest.code, 0, `vitest:\n${vitest.output}`);
    assert.match(vitest.output, /1 passed/);
  });
});
