/**
 * The reproduce verdict end to end: a tiny experiment is run, then reproduced twice through the real
 * `ritual` command (once the same, once with an environment change that makes it diverge). Each
 * reproduction run stores `info.reproduce`; the original's files are untouched; the board's API lists
 * the reproductions on the original and a browser sees each verdict on the run pages.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { type Board, startBoard } from '@ritual/board';
import { openStore } from '@ritual/observers';
import type { Browser } from 'playwright-core';
import { BROWSER_SKIP, launchChromium } from './browser.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RITUAL = path.join(ROOT, 'packages', 'cli', 'src', 'ritual.ts');
const run = promisify(execFile);
const ENV: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '--conditions=@ritual/source', NO_COLOR: '1' };
delete ENV.INIT_CWD;

/** x = i at step i; TINY_SHIFT (inherited by the rebuilt child) moves every point, so the run diverges. */
const TRAIN = `import { Experiment } from '@ritual/core';
const ex = new Experiment('tiny').config({ n: 5 });
ex.automain(import.meta, async ({ config, run }) => {
  const shift = Number(process.env.TINY_SHIFT ?? 0);
  for (let i = 0; i < config.n; i++) run.logScalar('x', i + shift, i);
  return config.n + shift;
});
`;

let work = '';
let runs = '';
let board: Board | undefined;
let browser: Browser | undefined;
const exits: Array<{ code: number; stdout: string }> = [];

async function exec(args: string[], cwd: string, env: NodeJS.ProcessEnv = ENV) {
  try {
    const { stdout } = await run(process.execPath, args, { cwd, env, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function ritual(args: string[], env?: NodeJS.ProcessEnv) {
  return exec(['--conditions=@ritual/source', '--import', import.meta.resolve('tsx'), RITUAL, ...args], work, env);
}

let originalFiles: string[] = [];

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'ritual-reproduce-verdict-'));
  const project = path.join(work, 'project');
  runs = path.join(work, 'runs');
  await mkdir(project);
  await writeFile(path.join(project, 'train.ts'), TRAIN);
  await writeFile(path.join(project, 'package.json'), '{ "name": "tiny", "type": "module", "private": true }\n');
  await symlink(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'), 'junction');
  const trained = await exec(['--import', 'tsx', 'train.ts', '-F', runs], project);
  assert.equal(trained.code, 0, trained.stderr);
  originalFiles = await Promise.all(
    ['run.json', 'info.json', 'metrics.json'].map((name) => readFile(path.join(runs, '1', name), 'utf8')),
  );
  exits.push(await ritual(['reproduce', runs, '1']));
  exits.push(await ritual(['reproduce', runs, '1'], { ...ENV, TINY_SHIFT: '0.5' }));
  board = await startBoard({ stores: [runs] });
});

after(async () => {
  await browser?.close();
  await board?.close();
  await rm(work, { recursive: true, force: true });
});

describe('the reproduce verdict', () => {
  it('is stored on each reproduction run as info.reproduce, and the original is left as it was', async () => {
    assert.deepEqual(
      exits.map((exit) => exit.code),
      [0, 1],
      exits.map((exit) => exit.stdout).join('\n'),
    );
    const store = await openStore(runs);
    try {
      const same = (await store.get(2)).info?.reproduce as Record<string, unknown>;
      const diverged = (await store.get(3)).info?.reproduce as Record<string, unknown>;
      assert.deepEqual(
        { ...same, summary: undefined },
        { of: 1, store: runs, verdict: 'bitwise', rtol: 0, atol: 0, summary: undefined },
      );
      assert.match(String(same.summary), /^reproduced bitwise: result, 1 metric \(5 points\)/);
      assert.equal(diverged.verdict, 'diverged');
      assert.equal(diverged.of, 1);
      // the first divergence, as the command printed it
      assert.equal(diverged.summary, exits[1]?.stdout.trim().split('\n').at(-1));
      assert.match(String(diverged.summary), /x/);
      // info.json is also where Sacred keeps info: Python readers see the same object
      const info = JSON.parse(await readFile(path.join(runs, '3', 'info.json'), 'utf8'));
      assert.equal(info.reproduce.verdict, 'diverged');
    } finally {
      await store.close();
    }
    const now = await Promise.all(
      ['run.json', 'info.json', 'metrics.json'].map((name) => readFile(path.join(runs, '1', name), 'utf8')),
    );
    assert.deepEqual(now, originalFiles);
  });

  it('is served by the board: on each reproduction, and on the original as its list of reproductions', async () => {
    const get = async (id: number): Promise<any> => (await fetch(`${board?.origin}/api/stores/0/runs/${id}`)).json();
    const original = await get(1);
    assert.deepEqual(
      original.reproductions.map((r: { id: number; verdict: { verdict: string } }) => [r.id, r.verdict.verdict]),
      [
        [2, 'bitwise'],
        [3, 'diverged'],
      ],
    );
    assert.equal((await get(2)).run.info.reproduce.verdict, 'bitwise');
    assert.deepEqual((await get(2)).reproductions, []);
  });

  it('is shown on the run pages in a browser', { skip: BROWSER_SKIP }, async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${board?.url}#/run?store=0&id=3`);
    const section = page.getByRole('region', { name: 'Reproduction' });
    await section.waitFor();
    assert.match(await section.innerText(), /Reproduces run 1 of .*: diverged/);
    await page.getByRole('link', { name: 'run 1', exact: true }).click();
    await page.getByRole('heading', { name: /Run 1:/ }).waitFor();
    const list = page.getByRole('list', { name: 'reproductions' });
    await list.waitFor();
    assert.deepEqual(await list.getByRole('listitem').allInnerTexts(), ['run 2: bitwise', 'run 3: diverged']);
    await page.close();
  });
});
