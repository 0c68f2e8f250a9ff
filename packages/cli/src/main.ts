import { Command, CommanderError } from 'commander';
import { RitualError, UsageError } from '@ritual/core';
import { boardCommand } from './board.js';
import { compareCommand } from './compare.js';
import { createContext, type CliIO } from './context.js';
import { lsCommand } from './ls.js';
import { metricsCommand } from './metrics.js';
import { plotCommand } from './plot.js';
import { showCommand } from './show.js';
import { failCommand } from './fail.js';
import { replayCommand } from './replay.js';
import { reproduceCommand } from './reproduce.js';
import { registerSyncCommand } from './sync.js';
import { errorMessage } from '@ritual/core/observer-kit';

export type { CliIO } from './context.js';
export { compareRuns, compareSeries } from './run-comparison.js';
export type {
  CompareRunsOptions,
  RunComparison,
  MetricComparison,
  ArtifactComparison,
  SeriesDivergence,
  Tolerance,
} from './run-comparison.js';

/** Exit codes: 0 done, 1 the store or something else failed, 2 the command line was wrong. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const HELP_EXAMPLES = `
Examples:
  ritual ls                                    list the runs in ./runs
  ritual ls runs --where 'config.lr < 0.01 and status = COMPLETED' --sort -result
  ritual show 3                                everything about run 3 of ./runs
  ritual show mongodb://localhost:27017/sacred 12
  ritual compare 3 4 7                         config differences and metrics side by side
  ritual metrics 3 loss --csv > loss.csv
  ritual plot 3,4 loss,val_loss -o loss.png    curves of two runs as a picture
  ritual reproduce 3                           re-run run 3 from its stored code and check it gives the same numbers
  ritual board runs                            a web UI over ./runs: table, run pages, charts, live runs

STORE is a runs folder (default ./runs) or a mongodb:// URL, and may be left out.
Run \`ritual <command> --help\` for the options of a command; --debug shows stack traces.`;

/**
 * The `ritual` command, callable in-process: parses `argv` (without the
 * node and script paths), writes to `io`, and resolves to the exit code
 * instead of exiting, so tests and other tools can embed it.
 */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const env = io.env ?? process.env;
  const debug = argv.includes('--debug') || env.RITUAL_DEBUG === '1';
  const args = argv.filter((arg) => arg !== '--debug');
  const ctx = createContext(io, debug);

  const program = new Command('ritual')
    .description('Look at past runs of ritual (and Sacred) experiments: list, inspect, compare, export and plot them.')
    .version(await packageVersion(), '-V, --version')
    .option('--debug', 'show stack traces of errors')
    .addHelpText('after', HELP_EXAMPLES)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.write(text),
      writeErr: (text) => void io.stderr.write(text),
      outputError: (text, write) => write(ctx.colors.red(text)),
    });
  for (const sub of [
    lsCommand(ctx),
    showCommand(ctx),
    compareCommand(ctx),
    metricsCommand(ctx),
    plotCommand(ctx),
    failCommand(ctx),
    replayCommand(ctx),
    reproduceCommand(ctx),
    boardCommand(ctx),
  ]) {
    sub.copyInheritedSettings(program);
    program.addCommand(sub);
  }
  // `ritual sync` (MongoDB journals) is written by the MongoDB store's side.
  registerSyncCommand(program, { write: (text: string) => ctx.write(text) });

  if (args.length === 0) {
    program.outputHelp();
    return EXIT.usage;
  }
  try {
    await program.parseAsync(args, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    return reportError(ctx, error);
  }
}

function reportError(ctx: ReturnType<typeof createContext>, error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed its message (or the help / version)
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
    )
      return EXIT.ok;
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const isUsage = error instanceof UsageError;
  if (error instanceof RitualError) {
    ctx.err(ctx.colors.red(`ritual: ${error.message}`));
  } else {
    const message = errorMessage(error);
    ctx.err(ctx.colors.red(`ritual: unexpected error: ${message}`));
  }
  if (ctx.debug && error instanceof Error && error.stack) ctx.err(error.stack);
  else if (!isUsage) ctx.err(ctx.colors.dim('Run again with --debug to see where it happened.'));
  return isUsage ? EXIT.usage : EXIT.failure;
}

async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
