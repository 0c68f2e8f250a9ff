/**
 * `ritual reproduce [STORE] ID`: rebuild a stored run's code from the store,
 * check what it depended on against this machine, run it again as a new run
 * and say in one line whether it reproduced (exit 0), where it did not
 * (exit 1), or why it could not be rebuilt (exit 2).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { UsageError, type JsonObject, type RunId } from '@ritual/core';
import type { RunStore, StoredRun } from '@ritual/observers';
import type { CliContext } from './context.js';
import { flattenPaths, sameValue } from './config-paths.js';
import { comparisonDifferences } from './divergence-text.js';
import { checkEnvironment, formatDifference, type EnvironmentDifference } from './environment-check.js';
import { rebuildCode, type RebuiltCode } from './rebuild.js';
import { RebuildError } from './rebuild-error.js';
import { runAgain, type ReproductionTarget } from './reproduction-run.js';
import { compareRuns, type RunComparison } from './run-comparison.js';
import { openRunStore, parseRunId, splitStore } from './store-argument.js';
import { parseTolerance } from './tolerance.js';

/** 0 reproduced, 1 ran but differs, 2 could not be rebuilt (or a usage error). */
export const REPRODUCE_EXIT = { reproduced: 0, differs: 1, notRebuilt: 2 } as const;

interface ReproduceOptions {
  in?: string;
  keep?: boolean;
  project?: string;
  strict?: boolean;
  rtol?: string;
  atol?: string;
  fileStorage?: string;
  mongoDb?: string;
  json?: boolean;
  output?: boolean;
}

/** A recorded fact that differs between the two runs (backend, its flags, node): the likely cause of a divergence. */
interface RecordedDifference {
  key: string;
  original: unknown;
  reproduction: unknown;
}

export function reproduceCommand(ctx: CliContext): Command {
  return new Command('reproduce')
    .description(
      'Re-run a stored run from what it recorded (its stored sources, config, seed, named configs) and say ' +
        'whether it reproduces.',
    )
    .argument('<args...>', 'an optional STORE, then the run id')
    .usage('[STORE] ID [options]')
    .option('--in <dir>', 'rebuild the code in this (new or empty) folder instead of a temporary one')
    .option('--keep', 'keep the rebuilt folder afterwards')
    .option(
      '--project <dir>',
      'resolve npm dependencies from this project (default: the recorded base dir if it exists here, else .)',
    )
    .option('--strict', 'refuse to run when anything recorded differs on this machine (dependencies, node, resources)')
    .option('--rtol <x>', 'relative tolerance for metric values and the result (default 0: bitwise)')
    .option('--atol <x>', 'absolute tolerance for metric values and the result (default 0: bitwise)')
    .option('-F, --file_storage <dir>', 'store the new run in this folder (default: the same store)')
    .option('-m, --mongo_db <url>', 'store the new run in this MongoDB (default: the same store)')
    .option('--output', 'also compare the captured output, minus timings (durations, dates and times of day)')
    .option('--json', 'print the verdict as a JSON document')
    .addHelpText(
      'after',
      '\nExit codes: 0 reproduced, 1 it ran and differs (the first divergence of each item is printed), 2 it ' +
        'cannot be rebuilt.\n' +
        'Examples:\n  ritual reproduce 3\n  ritual reproduce runs 3 --in /tmp/run3 --keep\n  ritual reproduce ' +
        'mongodb://localhost:27017/sacred 12 --rtol 1e-6 -F other-runs',
    )
    .action(async (positionals: string[], options: ReproduceOptions) => {
      const { location, rest } = splitStore(positionals, { fixed: 1, usage: '[STORE] ID, e.g. `ritual reproduce 3`' });
      const code = await reproduce(ctx, location, parseRunId(rest[0]!), options);
      ctx.setExitCode(code);
    });
}

interface Verdict {
  verdict: 'reproduced' | 'differs' | 'not-rebuilt';
  original: { store: string; id: RunId };
  reproduction: { store: string; id: RunId } | null;
  /** Recorded facts that differ on this machine, found before running. */
  environment: EnvironmentDifference[];
  /** Facts the two runs recorded differently (backend, flags). */
  recorded: RecordedDifference[];
  comparison: RunComparison | null;
  summary: string;
  rebuiltIn: string | null;
}

async function reproduce(ctx: CliContext, location: string, id: RunId, options: ReproduceOptions): Promise<number> {
  if (options.fileStorage !== undefined && options.mongoDb !== undefined)
    throw new UsageError('Give -F DIR or -m URL for the new run, not both.');
  const tolerance = { rtol: parseTolerance('--rtol', options.rtol), atol: parseTolerance('--atol', options.atol) };
  const store = await openRunStore(location);
  const stores: RunStore[] = [store];
  const verdict: Verdict = {
    verdict: 'not-rebuilt',
    original: { store: store.location, id },
    reproduction: null,
    environment: [],
    recorded: [],
    comparison: null,
    summary: '',
    rebuiltIn: null,
  };
  let code: RebuiltCode | undefined;
  try {
    const original = await store.get(id);
    code = await rebuildCode(store, original, {
      ...(options.in !== undefined ? { dir: options.in } : {}),
      ...(options.project !== undefined ? { project: options.project } : {}),
    });
    verdict.rebuiltIn = code.dir;
    ctx.err(
      `Rebuilt run ${String(original._id)} from ${store.location}: ${code.sources} sources in ${code.dir}, ` +
        `packages from ${code.project}`,
    );
    verdict.environment = await checkEnvironment(store, original, code.dir);
    for (const difference of verdict.environment)
      ctx.err(ctx.colors.yellow(`  differs: ${formatDifference(difference)}`));
    if (options.strict && verdict.environment.length > 0) {
      throw new RebuildError(
        `--strict: not running, ${verdict.environment.length} recorded fact(s) differ here: ` +
          `${verdict.environment.map(formatDifference).join('; ')}.`,
      );
    }
    const target = await reproductionTarget(location, store, options);
    if (target.store !== store) stores.push(target.store);
    // A folder is recorded by its absolute path, so a reader started elsewhere (the board) finds the original.
    const originalStore = isUrl(location) ? store.location : path.resolve(location);
    const reproduction = await runAgain(original, originalStore, code, target, { output: (text) => ctx.errRaw(text) });
    verdict.reproduction = { store: target.store.location, id: reproduction._id };
    verdict.recorded = recordedDifferences(original, reproduction);
    verdict.comparison = await compareRuns(store, original._id, reproduction._id, {
      ...tolerance,
      storeB: target.store,
      // The verdict names the first divergence of each item: reading a diverged series further only counts points.
      stopAtDivergence: true,
      output: options.output === true,
    });
    const same = verdict.comparison.same && reproduction.status === 'COMPLETED';
    verdict.verdict = same ? 'reproduced' : 'differs';
    verdict.summary = same
      ? reproducedLine(verdict.comparison)
      : differsLine(verdict.comparison, reproduction, verdict.recorded);
    await target.store.setInfo(
      reproduction._id,
      'reproduce',
      storedVerdict(original, store, verdict.comparison, same, verdict.summary),
    );
  } catch (error) {
    if (!(error instanceof RebuildError)) throw error;
    verdict.summary = `cannot reproduce run ${String(id)}: ${error.message}`;
  } finally {
    if (code?.created && !options.keep) await rm(code.dir, { recursive: true, force: true });
    else if (code) ctx.err(`The rebuilt code is kept in ${code.dir}`);
    for (const opened of stores) await opened.close();
  }
  if (options.json) ctx.write(`${JSON.stringify(verdict, null, 2)}\n`);
  else printVerdict(ctx, verdict);
  return verdict.verdict === 'reproduced'
    ? REPRODUCE_EXIT.reproduced
    : verdict.verdict === 'differs'
      ? REPRODUCE_EXIT.differs
      : REPRODUCE_EXIT.notRebuilt;
}

async function reproductionTarget(
  location: string,
  store: RunStore,
  options: ReproduceOptions,
): Promise<ReproductionTarget> {
  if (options.mongoDb !== undefined)
    return { flag: ['-m', options.mongoDb], store: await openRunStore(options.mongoDb) };
  if (options.fileStorage !== undefined) {
    // The experiment creates the folder with its first run; the store can only open it afterwards.
    const folder = path.resolve(options.fileStorage);
    return { flag: ['-F', folder], store: await lazyFileStore(folder) };
  }
  return { flag: isUrl(location) ? ['-m', location] : ['-F', path.resolve(location)], store };
}

function isUrl(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location);
}

/** A store on a folder that may not exist yet: opened on first use, after the child created it. */
async function lazyFileStore(folder: string): Promise<RunStore> {
  let opened: RunStore | undefined;
  const open = async (): Promise<RunStore> => (opened ??= await openRunStore(folder));
  return {
    location: folder,
    find: async (...args) => (await open()).find(...args),
    summaries: async (...args) => (await open()).summaries(...args),
    count: async (filter) => (await open()).count(filter),
    get: async (id) => (await open()).get(id),
    metrics: async (id, name) => (await open()).metrics(id, name),
    metricNames: async (id) => (await open()).metricNames(id),
    metricChunks: async function* (id, name, options) {
      yield* (await open()).metricChunks(id, name, options);
    },
    lastMetricValue: async (id, name) => (await open()).lastMetricValue(id, name),
    artifacts: async (id) => (await open()).artifacts(id),
    openArtifact: async (id, name) => (await open()).openArtifact(id, name),
    markFailed: async (id, trace) => (await open()).markFailed(id, trace),
    setInfo: async (id, key, value) => (await open()).setInfo(id, key, value),
    openStoredFile: async (copy) => (await open()).openStoredFile(copy),
    close: async () => opened?.close(),
  };
}

/** `info.reproducibility` (tfjs version, backend, its flags; node) as both runs recorded it, where it differs. */
function recordedDifferences(original: StoredRun, reproduction: StoredRun): RecordedDifference[] {
  const a = flattenPaths(original.info?.reproducibility ?? {});
  const b = flattenPaths(reproduction.info?.reproducibility ?? {});
  const keys = [...new Set([...a.keys(), ...b.keys()])].filter((key) => key !== 'seed').sort();
  return keys
    .filter((key) => !sameValue(a.get(key), b.get(key)))
    .map((key) => ({
      key: key.replace(/^tfjs\./, ''),
      original: a.get(key) ?? null,
      reproduction: b.get(key) ?? null,
    }));
}

/**
 * `info.reproduce` of the reproduction run, stored once the comparison is known (the run itself has ended by
 * then): the board and any Sacred reader find the verdict on the run it is about. The original run is not
 * written: it may sit in a store this command only reads, and several reproductions of it would race for one
 * field; its reproductions are found by `meta.reproduces.run`, which a run summary holds.
 */
function storedVerdict(
  original: StoredRun,
  store: RunStore,
  comparison: RunComparison,
  same: boolean,
  summary: string,
): JsonObject {
  return {
    of: original._id,
    store: store.location,
    verdict: !same ? 'diverged' : comparison.bitwise ? 'bitwise' : 'within tolerance',
    rtol: comparison.tolerance.rtol,
    atol: comparison.tolerance.atol,
    // for a diverged run, the first divergence of each item; else what was compared
    summary,
  };
}

function reproducedLine(comparison: RunComparison): string {
  // Only printed when every series was the same, so every count is known.
  const points = comparison.metrics.reduce((sum, metric) => sum + (metric.pointsA ?? 0), 0);
  const how = comparison.bitwise
    ? 'bitwise'
    : `within rtol=${comparison.tolerance.rtol}, atol=${comparison.tolerance.atol}`;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const output = comparison.output === null ? '' : `, output (${plural(comparison.output.linesA, 'line')})`;
  return (
    `reproduced ${how}: result, ${plural(comparison.metrics.length, 'metric')} ` +
    `(${plural(points, 'point')}), ${plural(comparison.artifacts.length, 'artifact')}${output}`
  );
}

function differsLine(comparison: RunComparison, reproduction: StoredRun, recorded: RecordedDifference[]): string {
  const items = comparisonDifferences(comparison);
  if (reproduction.status !== 'COMPLETED') {
    const last = reproduction.fail_trace?.at(-1)?.trim();
    items.unshift(`run ${String(reproduction._id)} ended ${reproduction.status}${last ? ` (${last})` : ''}`);
  }
  for (const difference of recorded) {
    items.push(
      `${difference.key} ${String(difference.original)} vs ${String(difference.reproduction)} (recorded difference)`,
    );
  }
  return items.join('; ');
}

function printVerdict(ctx: CliContext, verdict: Verdict): void {
  const paint =
    verdict.verdict === 'reproduced'
      ? ctx.colors.green
      : verdict.verdict === 'differs'
        ? ctx.colors.red
        : ctx.colors.yellow;
  if (verdict.reproduction !== null)
    ctx.out(
      `Run ${String(verdict.original.id)} re-ran as run ${String(verdict.reproduction.id)} in ` +
        `${verdict.reproduction.store}:`,
    );
  ctx.out(paint(verdict.summary));
}
