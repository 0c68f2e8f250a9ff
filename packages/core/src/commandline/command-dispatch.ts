import { resolve as resolvePath } from 'node:path';
import { captureRunContext } from '../capture/index.js';
import { relaunchForFdCapture } from '../capture/fd-relay.js';
import { withUnconsumedArgv } from './process-argv.js';
import { parseCommandLine, renderConfig, renderHelp, shouldUseColor, type ParsedCommandLine } from './index.js';
import { saveConfigFile } from '../config/index.js';
import { formatDuration } from '../duration.js';
import type { CommandTarget } from './command-target.js';
import { CommandLineError, RitualError } from '../errors.js';
import { runWorkerCommand } from '../queue/worker.js';
import type { RunOutcome } from '../run/run-lifecycle.js';
import { runSweepCommand } from '../sweep/sweep-command.js';
import { sweepMarkerFromEnv, writeSweepReport } from '../sweep/sweep-marker.js';

/** Commands every experiment has; they inspect the config and create no run. */
const BUILT_IN_COMMANDS: Record<string, string> = {
  print_config: 'Print the final config, marking entries modified (blue), added (green) and type-changed (red).',
  print_named_configs: 'List the named configs and what each sets.',
  print_dependencies: 'Print the npm dependencies, source files (with md5) and git repositories a run would record.',
  save_config: 'Save the final config to a file: save_config [FILE.json|FILE.yaml] (default config.json).',
  worker:
    'Run the QUEUED runs of this experiment from MongoDB (worker -m URL), each in its own process, until none are ' +
    'left. --wait keeps polling, --max-runs N, --concurrency N, --dead-after SECONDS, --retries N, --strict.',
  help: 'Show this help, or help for one command: help COMMAND.',
};

/** Exit codes: 0 ok, 1 the run failed, 2 bad input, 128+n a signal (as shells report it), 124 a timeout (as `timeout` does). */
const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143, timeout: 124 };

/**
 * The command line of an experiment: parse, resolve the config, run a
 * built-in or a registered command. Errors the user can fix are printed as
 * one message (the stack only with -d); the process exit code is returned.
 */
export async function runCommandline(ex: CommandTarget, argv: string[]): Promise<number> {
  const stdout = process.stdout;
  const known = [...Object.keys(BUILT_IN_COMMANDS), ...ex.commands.keys()];
  let parsed: ParsedCommandLine | undefined;
  try {
    parsed = parseCommandLine(argv, known);
    const { options } = parsed;
    const command = parsed.command ?? 'main';
    if (options.help || command === 'help') {
      stdout.write(`${help(ex, parsed.commandArgs[0])}\n`);
      return 0;
    }
    if (command === 'worker') return await runWorkerCommand(ex, parsed);
    if (options.queue && options.fileStorage !== undefined && options.mongoDb === undefined) {
      throw new CommandLineError(
        '-q queues a run for `worker`, which takes runs from MongoDB only (a claim must be one atomic update ' +
          'that many machines can race on; a folder cannot promise that): add -m URL.',
      );
    }
    if (options.multirun) return await runSweepCommand(ex, parsed, { color: shouldUseColor(stdout) });
    // The schema is applied here too, so print_config and save_config show the config a run would get, or its refusal.
    const resolved = await ex.resolveChecked(parsed.updates, parsed.requested, options.force);
    const color = shouldUseColor(stdout);
    switch (command) {
      case 'print_config':
        stdout.write(`${renderConfig(resolved.config, resolved.summary, { color })}\n`);
        return 0;
      case 'print_named_configs':
        stdout.write(`${printNamedConfigs(ex)}\n`);
        return 0;
      case 'save_config': {
        const file = resolvePath(parsed.commandArgs[0] ?? 'config.json');
        await saveConfigFile(resolved.config, file);
        stdout.write(`Saved the config to ${file}\n`);
        return 0;
      }
      case 'print_dependencies':
        stdout.write(`${await printDependencies(ex)}\n`);
        return 0;
    }
    if (options.capture === 'fd' && !options.queue && !options.unobserved) {
      // Relaunch before anything is recorded: the child does the run with its fds piped through us.
      const code = await relaunchForFdCapture();
      if (code !== null) return code;
    }
    if (options.printConfig) stdout.write(`${renderConfig(resolved.config, resolved.summary, { color })}\n`);
    const run = parsed;
    const outcome = await withUnconsumedArgv(argv, run.commandArgs, () =>
      ex.startRun({
        command,
        updates: run.updates,
        requested: run.requested,
        options,
        metaOptions: run.metaOptions,
        handleSignals: true,
        resolved,
      }),
    );
    const sweep = sweepMarkerFromEnv();
    if (sweep) {
      const metric = sweep.metric === undefined ? undefined : outcome.run.lastMetricValue(sweep.metric);
      writeSweepReport(sweep, {
        status: outcome.status,
        id: outcome.run.id,
        result: outcome.run.result,
        ...(metric !== undefined ? { metric } : {}),
      });
    }
    return report(ex, outcome, options.debug);
  } catch (error) {
    return reportError(ex.name, error, parsed?.options.debug ?? (argv.includes('-d') || argv.includes('--debug')));
  }
}

function report(ex: CommandTarget, outcome: RunOutcome, debug: boolean): number {
  const id = outcome.run.id === null ? '' : ` ${outcome.run.id}`;
  const write = (line: string) => process.stderr.write(`INFO - ${ex.name} - ${line}\n`);
  switch (outcome.status) {
    case 'COMPLETED':
      write(`Completed run${id} after ${elapsed(outcome.run.startTime, outcome.run.stopTime)}`);
      return 0;
    case 'QUEUED':
      write(`Queued run${id}`);
      return 0;
    case 'FAILED': {
      const error = outcome.error;
      process.stderr.write(
        `ERROR - ${ex.name} - Failed run${id} after ${elapsed(outcome.run.startTime, outcome.run.stopTime)}\n`,
      );
      // main's own error is the user's code: its stack is what they need to see.
      process.stderr.write(
        `${error instanceof Error ? (debug || !(error instanceof RitualError) ? error.stack : `${error.name}: ${error.message}`) : String(error)}\n`,
      );
      // A rejection nobody awaited keeps main half-running: end the process rather than leave it.
      setImmediate(() => process.exit(1)).unref();
      return 1;
    }
    default: {
      process.stderr.write(
        `WARNING - ${ex.name} - Run${id} ${outcome.status === 'TIMEOUT' ? 'timed out' : `interrupted (${outcome.signal})`}; its status was recorded as ${outcome.status}\n`,
      );
      // main may still be running: the run is over, so is the process.
      const code = SIGNAL_EXIT[outcome.signal] ?? 1;
      setImmediate(() => process.exit(code));
      return code;
    }
  }
}

function reportError(name: string, error: unknown, debug: boolean): number {
  if (error instanceof RitualError && !debug) {
    // One line per problem (a refused config lists each), each naming the experiment.
    process.stderr.write(
      error.message
        .split('\n')
        .map((line) => `${name}: ${line}\n`)
        .join(''),
    );
    return 2;
  }
  process.stderr.write(`${name}: ${error instanceof Error ? error.stack : String(error)}\n`);
  return error instanceof RitualError ? 2 : 1;
}

function help(ex: CommandTarget, command: string | undefined): string {
  const commands = [
    ...[...ex.commands.entries()].map(([name, entry]) => ({ name, doc: entry.doc })),
    ...Object.entries(BUILT_IN_COMMANDS).map(([name, doc]) => ({ name, doc })),
  ];
  let config = {};
  try {
    // The seed would be a fresh random number on every call: showing it would only confuse.
    const { seed: _seed, ...declared } = ex.resolve({}, [], true).config;
    config = declared;
  } catch {
    // Help must work even when the defaults are broken; show it without them.
  }
  return renderHelp(
    { experimentName: ex.name, program: programName(), commands, namedConfigs: [...ex.namedConfigs.keys()], config },
    command,
  );
}

function programName(): string {
  const script = process.argv[1];
  return script ? `node ${script.split(/[\\/]/).pop()}` : 'node script.js';
}

function printNamedConfigs(ex: CommandTarget): string {
  if (ex.namedConfigs.size === 0) return 'No named configs. Declare one with ex.namedConfig(name, { ... }).';
  const lines = ['Named configs:'];
  for (const [name, entry] of ex.namedConfigs) {
    const shown =
      entry.kind === 'object'
        ? JSON.stringify(entry.value)
        : entry.kind === 'file'
          ? entry.path
          : '(computed from the config)';
    lines.push(`  ${name.padEnd(20)} ${shown}`);
  }
  return lines.join('\n');
}

async function printDependencies(ex: CommandTarget): Promise<string> {
  const mainFile = ex.mainFile ?? resolvePath(process.argv[1] ?? '.');
  const context = await captureRunContext({
    mainFile,
    ...(ex.options.baseDir !== undefined ? { baseDir: ex.options.baseDir } : {}),
    extraSources: ex.extraSources,
    extraDependencies: ex.extraDependencies,
    envAllowList: [],
    enforceClean: false,
  });
  const lines = ['Dependencies:'];
  for (const dep of context.experiment.dependencies) {
    const [name, version] = dep.split('==');
    lines.push(`  ${(name ?? '').padEnd(34)} == ${version ?? ''}`);
  }
  lines.push('Sources:');
  for (const source of context.experiment.sources) lines.push(`  ${source.relativePath.padEnd(34)} ${source.md5}`);
  lines.push('Version Control:');
  for (const repo of context.experiment.repositories)
    lines.push(`${repo.dirty ? 'M' : ' '} ${repo.url.padEnd(34)} ${repo.commit}`);
  for (const warning of context.warnings) lines.push(`(${warning})`);
  return lines.join('\n');
}

function elapsed(start: Date | null, stop: Date | null): string {
  return formatDuration(start && stop ? stop.getTime() - start.getTime() : 0, 'clock');
}
