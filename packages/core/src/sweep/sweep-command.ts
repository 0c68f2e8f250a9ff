/**
 * `--multirun` on the command line: plan the sweep, check every config before anything runs (a
 * refused one stops the sweep with exit 2, nothing stored), then list them (`print_config`) or run
 * them and print the ranking. Exit 0 when every run completed, 1 when any did not, 128+n when a
 * signal stopped the sweep.
 */
import { constants } from 'node:os';
import { CommandLineError } from '../errors.js';
import type { ResolvedConfig } from '../config/index.js';
import type { CommandTarget } from '../commandline/command-target.js';
import type { ParsedCommandLine } from '../commandline/parse.js';
import { parseUpdates } from '../commandline/updates.js';
import { renderConfig } from '../commandline/print-config.js';
import { planSweep, type SweepPlan } from './sweep-plan.js';
import { launchSweep } from './sweep-launcher.js';
import { describePoint, renderSweepReport } from './sweep-ranking.js';

/** Commands a sweep runs; other built-ins inspect the experiment and have nothing to sweep. */
const NOT_SWEPT = ['print_dependencies', 'save_config', 'print_named_configs'];

export async function runSweepCommand(
  ex: CommandTarget,
  parsed: ParsedCommandLine,
  output: { color: boolean },
): Promise<number> {
  const { options } = parsed;
  const command = parsed.command ?? 'main';
  if (NOT_SWEPT.includes(command))
    throw new CommandLineError(`${command} does not take --multirun; sweep main, a command of yours or print_config.`);
  if (options.id !== undefined)
    throw new CommandLineError('--multirun with -i: every run of a sweep needs its own id; leave -i out.');
  const plan = planSweep(parsed.metaOptions.UPDATE as string[], {
    ...(options.samples !== undefined ? { samples: options.samples } : {}),
    ...(options.sweepSeed !== undefined ? { sweepSeed: options.sweepSeed } : {}),
  });
  const size = plan.points.length;
  const configs: ResolvedConfig[] = [];
  for (const point of plan.points) {
    const { updates, requested } = parseUpdates(point.words);
    try {
      configs.push(await ex.resolveChecked(updates, requested, options.force));
    } catch (error) {
      if (error instanceof CommandLineError || !(error instanceof Error)) throw error;
      // The same error, naming which run of the sweep it refuses.
      error.message = `Run #${point.index} of the sweep (${describePoint(point)}): ${error.message}`;
      throw error;
    }
  }
  if (command === 'print_config') {
    const blocks = plan.points.map(
      (point, i) =>
        `Run #${point.index} of ${size}: ${describePoint(point)}\n` +
        renderConfig(configs[i]!.config, configs[i]!.summary, output),
    );
    process.stdout.write(`Sweep (${plan.mode}, ${size} runs, sweep seed ${plan.seed}):\n\n${blocks.join('\n\n')}\n`);
    return 0;
  }
  const info = (line: string) => process.stderr.write(`INFO - ${ex.name} - ${line}\n`);
  if (options.queue) return queueSweep(ex, parsed, plan, configs, info);
  const jobs = options.jobs ?? 1;
  info(`Sweep ${plan.id}: ${size} runs (${plan.mode}, sweep seed ${plan.seed}), ${jobs} at a time`);
  const { outcomes, stoppedBy } = await launchSweep(plan, {
    runArgv: parsed.runArgv,
    jobs,
    ...(options.sweepMetric !== undefined ? { metric: options.sweepMetric } : {}),
    onEvent: ({ kind, point, outcome }) => {
      if (kind === 'start') info(`Sweep run #${point.index} of ${size} started: ${describePoint(point)}`);
      else
        info(`Sweep run #${point.index} ended: ${outcome?.status}${outcome?.id != null ? ` (run ${outcome.id})` : ''}`);
    },
  });
  process.stdout.write(
    `${renderSweepReport(plan, outcomes, {
      minimize: options.minimize,
      ...(options.sweepMetric !== undefined ? { metric: options.sweepMetric } : {}),
    })}\n`,
  );
  if (stoppedBy !== null) {
    const notStarted = outcomes.filter((outcome) => outcome.status === 'NOT_STARTED').length;
    process.stderr.write(
      `WARNING - ${ex.name} - Sweep ${plan.id} stopped by ${stoppedBy}: the running runs were interrupted, ` +
        `${notStarted} never started\n`,
    );
    return 128 + (constants.signals[stoppedBy] ?? 0);
  }
  return outcomes.every((outcome) => outcome.status === 'COMPLETED') ? 0 : 1;
}

/**
 * `--multirun -q`: every config of the sweep becomes one QUEUED run (with its meta.sweep and its own
 * seed), stored here in one process, for `worker` processes to run later. Sources, git and host are
 * captured once for the whole sweep.
 */
async function queueSweep(
  ex: CommandTarget,
  parsed: ParsedCommandLine,
  plan: SweepPlan,
  configs: ResolvedConfig[],
  info: (line: string) => void,
): Promise<number> {
  const contextCell = {};
  const ids: unknown[] = [];
  for (const [i, point] of plan.points.entries()) {
    const { updates, requested } = parseUpdates(point.words);
    const outcome = await ex.startRun({
      command: parsed.command ?? 'main',
      updates,
      requested,
      options: parsed.options,
      metaOptions: { ...parsed.metaOptions, UPDATE: point.words },
      handleSignals: false,
      resolved: configs[i]!,
      sweep: { id: plan.id, index: point.index, size: plan.points.length, seed: plan.seed },
      contextCell,
    });
    ids.push(outcome.run.id);
  }
  const shown = ids.length <= 10 ? ids.map(String).join(', ') : `${String(ids[0])} ... ${String(ids.at(-1))}`;
  info(`Queued sweep ${plan.id}: ${ids.length} runs (ids ${shown}); start workers to run them: worker -m URL`);
  return 0;
}
