// Runs test/fixtures/config/typed-experiment.ts through the real command line
// with `-F <fresh folder>`, for the config refusal and schema tests: what the
// user sees, and what was stored.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE = join(REPO_ROOT, 'test/fixtures/config/typed-experiment.ts');

export interface TypedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The -F folder. */
  runs: string;
  /** What the folder holds afterwards (nothing when the run was refused). */
  stored: string[];
}

/** `schema` picks the fixture's schema (RITUAL_TEST_SCHEMA: zod, valibot, handwritten), none when omitted. */
export function runTypedExperiment(args: string[], schema?: string): TypedRun {
  const runs = join(mkdtempSync(join(tmpdir(), 'ritual-typed-')), 'runs');
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  if (schema !== undefined) env.RITUAL_TEST_SCHEMA = schema;
  const result = spawnSync(
    process.execPath,
    ['--conditions=@ritual/source', '--import', 'tsx', FIXTURE, '-F', runs, ...args],
    { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 },
  );
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    runs,
    stored: existsSync(runs) ? readdirSync(runs) : [],
  };
}
