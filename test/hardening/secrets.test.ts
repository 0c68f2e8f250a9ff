import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

const repoModules = fileURLToPath(new URL('../../node_modules', import.meta.url));
const SECRET = 'hunter2-SECRET-7f3a9c';

/** Every file below `dir`, recursively. */
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** A small project: a script, a .env and a git-ignored local module holding the secret. */
function makeProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ritual-secrets-'));
  symlinkSync(repoModules, join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'secret-project', type: 'module' }));
  writeFileSync(join(dir, '.env'), `API_TOKEN=${SECRET}\n`);
  writeFileSync(join(dir, 'id_rsa.pem'), `-----BEGIN KEY-----\n${SECRET}\n`);
  writeFileSync(join(dir, '.gitignore'), 'local-settings.ts\nnode_modules\n');
  writeFileSync(join(dir, 'local-settings.ts'), `export const token = '${SECRET}';\n`);
  writeFileSync(
    join(dir, 'train.ts'),
    `import { Experiment } from '@ritual/core';
import { token } from './local-settings.js';
const ex = new Experiment('secrets', { envAllowList: ['VISIBLE_SETTING'] }).config({ lr: 0.1 });
ex.automain(import.meta, ({ run }) => {
  run.logScalar('loss', token.length);
  return 'done';
});
`,
  );
  const git = (...args: string[]) => spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
  git('init', '-q');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', 'train.ts', 'package.json', '.gitignore');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'init');
  git('remote', 'add', 'origin', `https://alice:${SECRET}@example.com/alice/project.git`);
  return dir;
}

test('a secret in the environment, a .env file, a key file, a git-ignored module and the git remote is stored nowhere', () => {
  const project = makeProject();
  const runs = join(project, 'runs');
  mkdirSync(runs);
  const child = spawnSync(
    process.execPath,
    ['--conditions=@ritual/source', '--import', 'tsx', 'train.ts', '-F', 'runs', '-b', '0.05'],
    {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, API_TOKEN: SECRET, AWS_SECRET_ACCESS_KEY: SECRET, VISIBLE_SETTING: 'shown' },
    },
  );
  assert.equal(child.status, 0, child.stderr);
  const files = walk(runs);
  assert.ok(files.some((file) => file.endsWith('run.json')));
  for (const file of files) {
    assert.ok(!readFileSync(file, 'utf8').includes(SECRET), `the secret leaked into ${file}`);
  }
  assert.ok(!child.stdout.includes(SECRET) && !child.stderr.includes(SECRET), 'the secret was printed');
  const run = JSON.parse(readFileSync(join(runs, '1', 'run.json'), 'utf8'));
  assert.deepEqual(run.host.ENV, { VISIBLE_SETTING: 'shown' }, 'only allow-listed variables are stored');
  assert.deepEqual(
    run.experiment.sources.map((s: string[]) => s[0]),
    ['train.ts'],
    'no .env, key file or git-ignored module among the sources',
  );
  assert.equal(
    run.experiment.repositories[0].url,
    'https://example.com/alice/project.git',
    'credentials stripped from the remote',
  );
});
