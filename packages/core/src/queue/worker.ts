/**
 * `node train.js worker -m URL`: drains the MongoDB queue of this experiment. Each claim is one
 * atomic update (QUEUED -> RUNNING, the worker and a fresh claim token recorded), so any number of
 * workers on any number of machines never run a run twice. Each claimed run is started as a child
 * process of the experiment's own command line (the same script, its stored config as a config file)
 * whose MongoObserver turns the queued document into the run: same `_id`, as Omniboard shows Sacred's
 * queue. While its child starts and runs, the worker beats for the run; a run whose beats stop (its
 * worker and child were killed, its machine lost) is found by the next claim pass of any worker and
 * marked FAILED, or queued again while `--retries` allow. SIGINT/SIGTERM stop claiming and are passed
 * to the running children, which record INTERRUPTED.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, constants } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { createInterface } from 'node:readline';
import { captureRunContext } from '../capture/index.js';
import type { CommandTarget } from '../commandline/command-target.js';
import type { ParsedCommandLine } from '../commandline/parse.js';
import { UsageError } from '../errors.js';
import { errorMessage } from '../error-message.js';
import { SWEEP_ENV } from '../sweep/sweep-marker.js';
import { QUEUE_CLAIM_ENV } from './queue-claim.js';
import { queueFromOptions, type ClaimedRun } from './run-queue.js';

/** Without --dead-after: long enough for a slow start on a busy machine, short enough to notice a lost one. */
export const DEFAULT_DEAD_AFTER_SECONDS = 120;
const DEFAULT_POLL_SECONDS = 5;
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** Lines of a child's output kept to explain a run that ended without storing its end. */
const TAIL_LINES = 20;

/** How a claimed run ended, as stored; ABANDONED: its process ended first; LOST: declared dead meanwhile. */
type Ending = 'COMPLETED' | 'FAILED' | 'INTERRUPTED' | 'ABANDONED' | 'LOST';

export async function runWorkerCommand(ex: CommandTarget, parsed: ParsedCommandLine): Promise<number> {
  const { options } = parsed;
  if (parsed.commandArgs.length > 0)
    throw new UsageError(`worker takes no words (got ${parsed.commandArgs.join(' ')}); see worker --help.`);
  if (parsed.metaOptions.with) throw new UsageError('worker takes no `with`: each queued run brings its own config.');
  const experiment = options.name ?? ex.name;
  const deadAfterMs = (options.deadAfter ?? DEFAULT_DEAD_AFTER_SECONDS) * 1000;
  if (deadAfterMs <= options.beatInterval * 2000) {
    throw new UsageError(
      `--dead-after ${deadAfterMs / 1000}s is not more than two heartbeats (-b ${options.beatInterval}): live runs would be declared dead; raise it.`,
    );
  }
  const queue = await queueFromOptions(options);
  const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const say = (level: string, line: string) => process.stderr.write(`${level} - ${ex.name} - ${line}\n`);
  const mine = await ownSources(ex);
  const scratch = mkdtempSync(join(tmpdir(), 'ritual-worker-'));
  const running = new Map<ClaimedRun, ReturnType<typeof spawn>>();
  const tally: Record<Ending, number> = { COMPLETED: 0, FAILED: 0, INTERRUPTED: 0, ABANDONED: 0, LOST: 0 };
  let claimed = 0;
  let reaped = 0;
  let stoppedBy: NodeJS.Signals | null = null;
  let refusal: string | null = null;
  let wake: (() => void) | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppedBy === null) say('WARNING', `Worker ${workerId} got ${signal}: no new claims; stopping its runs`);
    stoppedBy ??= signal;
    for (const child of running.values()) child.kill(signal);
    wake?.();
  };
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = () => onSignal(signal);
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  // The worker beats for its runs while their children start (and on, harmlessly, while they beat themselves).
  const beatMs = Math.min(options.beatInterval * 1000, deadAfterMs / 3);
  const beats = setInterval(() => {
    for (const run of running.keys()) {
      queue.beat(run).then(
        (ours) => ours || say('WARNING', `Run ${String(run.id)} is no longer claimed by this worker`),
        (error: unknown) => say('WARNING', `Could not beat for run ${String(run.id)}: ${errorMessage(error)}`),
      );
    }
  }, beatMs);
  const more = () =>
    stoppedBy === null && refusal === null && (options.maxRuns === undefined || claimed < options.maxRuns);

  const slot = async (): Promise<void> => {
    while (more()) {
      for (const dead of await queue.reap({
        experiment,
        worker: workerId,
        deadAfterMs,
        retries: options.retries ?? 0,
      })) {
        reaped += 1;
        say(
          'WARNING',
          `Run ${String(dead.id)} had no heartbeat for ${deadAfterMs / 1000}s (its worker died): ` +
            (dead.status === 'QUEUED' ? `queued again (attempt ${dead.attempts} failed)` : 'marked FAILED'),
        );
      }
      if (!more()) break;
      const run = await queue.claim({ experiment, worker: workerId });
      if (run === null) {
        if (!options.wait) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, (options.poll ?? DEFAULT_POLL_SECONDS) * 1000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        continue;
      }
      claimed += 1;
      const changed = changedSources(run.sources, mine);
      if (changed.length > 0) {
        const what = `Queued run ${String(run.id)} was queued from other sources than this worker's (${changed.join(', ')})`;
        if (options.strict) {
          await queue.release(run);
          claimed -= 1;
          refusal = `${what}: --strict refuses it; it stays QUEUED for a worker with the same code.`;
          break;
        }
        say('WARNING', `${what}; running it with this worker's code (--strict would refuse)`);
      }
      tally[await execute(run)] += 1;
    }
  };

  const execute = async (run: ClaimedRun): Promise<Ending> => {
    const configFile = join(scratch, `${String(run.id)}-${run.claim}.json`);
    writeFileSync(configFile, `${JSON.stringify(run.config, null, 2)}\n`);
    const args = [
      ...process.execArgv,
      resolvePath(process.argv[1] ?? ''),
      ...(run.command !== 'main' ? [run.command] : []),
      'with',
      ...run.namedConfigs,
      configFile,
      '-m',
      options.mongoDb ?? '',
      '-b',
      String(options.beatInterval),
      ...(run.options['--force'] === true ? ['-f'] : []),
      ...(typeof run.options['--name'] === 'string' ? ['-n', run.options['--name']] : []),
      ...(typeof run.options['--capture'] === 'string' ? ['-C', run.options['--capture']] : []),
    ];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      [QUEUE_CLAIM_ENV]: JSON.stringify({ id: run.id, claim: run.claim }),
    };
    delete env[SWEEP_ENV];
    say('INFO', `Worker ${workerId} runs queued run ${String(run.id)} (attempt ${run.attempts})`);
    // Its own process group: a terminal's Ctrl-C reaches the child once, through the worker.
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.set(run, child);
    if (stoppedBy !== null) child.kill(stoppedBy);
    const tail: string[] = [];
    const prefix = (options.concurrency ?? 1) > 1 ? `[${String(run.id)}] ` : '';
    for (const [stream, target] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ] as const) {
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        target.write(`${prefix}${line}\n`);
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      });
    }
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('error', () => resolve({ code: null, signal: null }));
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    running.delete(run);
    rmSync(configFile, { force: true });
    // A child that ended before storing the run's end (a refused config, a crash) must not leave it RUNNING.
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const settled = await queue
      .settle(run, [`The worker's process for this run ${how} before the run ended. Its last output:\n`, ...tail])
      .catch((error: unknown) => {
        say('WARNING', `Could not read how run ${String(run.id)} ended: ${errorMessage(error)}`);
        return { status: 'LOST' as const, abandoned: false };
      });
    if (settled.abandoned) {
      say('ERROR', `Run ${String(run.id)}: its process ${how} before the run ended; marked FAILED`);
      return 'ABANDONED';
    }
    switch (settled.status) {
      case 'COMPLETED':
      case 'FAILED':
      case 'INTERRUPTED':
        return settled.status;
      case 'TIMEOUT':
        return 'FAILED';
      default:
        say('WARNING', `Run ${String(run.id)} was claimed again by another worker after this one was declared dead`);
        return 'LOST';
    }
  };

  let failure: unknown = null;
  try {
    say('INFO', `Worker ${workerId} takes queued runs of ${experiment} from ${queue.name}`);
    const slots = Array.from({ length: options.concurrency ?? 1 }, () =>
      slot().catch((error: unknown) => {
        failure ??= error;
        stoppedBy ??= 'SIGTERM';
        for (const child of running.values()) child.kill('SIGTERM');
      }),
    );
    await Promise.all(slots);
  } finally {
    clearInterval(beats);
    for (const remove of handlers) remove();
    rmSync(scratch, { recursive: true, force: true });
    await queue.close();
  }
  if (failure !== null) throw failure;
  const summary =
    `Worker ${workerId}: ${claimed} run(s) claimed: ${tally.COMPLETED} completed, ${tally.FAILED} failed, ` +
    `${tally.INTERRUPTED} interrupted, ${tally.ABANDONED} ended without their process storing the end, ` +
    `${tally.LOST} taken by another worker; ` +
    `${reaped} dead run(s) of other workers failed or queued again`;
  say('INFO', summary);
  if (refusal !== null) {
    say('ERROR', refusal);
    return 2;
  }
  if (stoppedBy !== null) return tally.INTERRUPTED > 0 ? 128 + (constants.signals[stoppedBy] ?? 0) : 0;
  return 0;
}

/** The worker's own sources, `[relative path, md5]`, to compare with each queued run's. */
async function ownSources(ex: CommandTarget): Promise<Map<string, string>> {
  const context = await captureRunContext({
    mainFile: ex.mainFile ?? resolvePath(process.argv[1] ?? '.'),
    ...(ex.options.baseDir !== undefined ? { baseDir: ex.options.baseDir } : {}),
    extraSources: ex.extraSources,
    extraDependencies: ex.extraDependencies,
    envAllowList: [],
    enforceClean: false,
  });
  return new Map(context.experiment.sources.map((source) => [source.relativePath, source.md5]));
}

/** Files whose md5 differs, or that only one side has (a run queued by Sacred lists none: nothing to compare). */
function changedSources(queued: Array<[string, string]>, mine: Map<string, string>): string[] {
  if (queued.length === 0) return [];
  const changed = queued.filter(([path, md5]) => mine.get(path) !== md5).map(([path]) => path);
  const theirs = new Set(queued.map(([path]) => path));
  for (const path of mine.keys()) if (!theirs.has(path)) changed.push(path);
  return changed.sort();
}
