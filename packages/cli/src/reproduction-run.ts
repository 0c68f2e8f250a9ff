/**
 * Runs rebuilt code again as a new run: a child `node` with the stored
 * command, the stored named configs and the stored final config (seed
 * included) as a config file, stored in the target store. The child learns
 * which run it reproduces from RITUAL_REPRODUCES (core records it as
 * `meta.reproduces`); the random attempt id in it finds the new run again in
 * any store, whatever id the store gave it.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunId } from '@ritual/core';
import type { RunStore, StoredRun } from '@ritual/observers';
import type { RebuiltCode } from './rebuild.js';
import { RebuildError } from './rebuild-error.js';

/** Core reads this variable (packages/core/src/run/reproduction-marker.ts). */
const REPRODUCES_ENV = 'RITUAL_REPRODUCES';
/** Output kept to explain a child that stored no run. */
const TAIL_BYTES = 2000;

export interface ReproductionTarget {
  /** `-F` folder (absolute) or `-m` URL, as the child's command line takes it. */
  flag: ['-F' | '-m', string];
  store: RunStore;
}

export interface RunAgainOptions {
  /** Where the child's output goes (the command's stderr: stdout carries the verdict). */
  output: (text: string) => void;
  env?: NodeJS.ProcessEnv;
}

export async function runAgain(
  original: StoredRun,
  originalStore: string,
  code: RebuiltCode,
  target: ReproductionTarget,
  options: RunAgainOptions,
): Promise<StoredRun> {
  const attempt = randomUUID();
  const configFile = path.join(code.dir, '.ritual-reproduce', 'config.json');
  await mkdir(path.dirname(configFile), { recursive: true });
  await writeFile(configFile, `${JSON.stringify(original.config, null, 2)}\n`);
  const args = [
    ...resolutionConditions(process.execArgv),
    ...code.nodeArguments,
    code.mainFile,
    ...commandArguments(original, configFile),
    ...target.flag,
  ];
  const env: NodeJS.ProcessEnv = {
    ...(options.env ?? process.env),
    [REPRODUCES_ENV]: JSON.stringify({ run: original._id, store: originalStore, attempt }),
  };
  // npm's variables would point the example (and scripts like it) back at the folder npm ran in.
  for (const name of ['INIT_CWD', 'npm_config_local_prefix', 'npm_lifecycle_event']) delete env[name];

  const { exitCode, tail } = await runChild(process.execPath, args, code.dir, env, options.output);
  const [stored] = await target.store.find({ 'meta.reproduces.attempt': attempt }, { limit: 1 });
  if (!stored) {
    throw new RebuildError(
      `The rebuilt code of run ${String(original._id)} exited with code ${exitCode} without storing a run in ` +
        `${target.store.location}. Its last output:\n${tail.trimEnd()}`,
    );
  }
  return target.store.get(stored._id as RunId);
}

/**
 * The `--conditions` this command runs under, for the child: packages then resolve as they do for the
 * command. In this workspace `npm run ritual` and `npm start` both run with `--conditions=@ritual/source`
 * (no build needed); without it the rebuilt code would look for a `dist/` that `npm ci` never built.
 */
export function resolutionConditions(execArgv: readonly string[]): string[] {
  const flags: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] as string;
    if (arg.startsWith('--conditions=')) flags.push(arg);
    else if ((arg === '--conditions' || arg === '-C') && execArgv[i + 1] !== undefined)
      flags.push(`--conditions=${execArgv[++i]}`);
  }
  return flags;
}

/** `[command] with NAMED... config.json` plus the options that change what runs (-f, -n). */
function commandArguments(run: StoredRun, configFile: string): string[] {
  const options = run.meta?.options ?? {};
  const command = run.meta?.command ?? run.command;
  return [
    ...(command && command !== 'main' ? [command] : []),
    'with',
    ...(run.meta?.named_configs ?? []),
    configFile,
    ...(options['--force'] === true ? ['-f'] : []),
    ...(typeof options['--name'] === 'string' ? ['-n', options['--name']] : []),
    ...(typeof options['--capture'] === 'string' ? ['-C', options['--capture']] : []),
  ];
}

function runChild(
  file: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  output: (text: string) => void,
): Promise<{ exitCode: number; tail: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const take = (chunk: Buffer): void => {
      const text = chunk.toString();
      output(text);
      tail = (tail + text).slice(-TAIL_BYTES);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ exitCode: code ?? (signal ? 128 : 1), tail }));
  });
}
