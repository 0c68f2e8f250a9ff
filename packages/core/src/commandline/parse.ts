/**
 * `prog [COMMAND] [with UPDATE...] [options]`, options anywhere. Node's
 * util.parseArgs splits flags from words; it runs non-strict so that every
 * mistake gets our own message (unknown flag with a suggestion, missing or
 * bad value) instead of a generic one.
 */
import { parseArgs } from 'node:util';
import { CommandLineError } from '../errors.js';
import { closestSpelling } from '../spelling-suggestion.js';
import {
  alternateSpelling,
  applyOption,
  defaultRunOptions,
  emptyMetaOptions,
  flagLabel,
  OPTION_SPECS,
  type OptionSpec,
  type RunOptions,
} from './options.js';
import { parseUpdates } from './updates.js';

export interface ParsedCommandLine {
  /** null = main. */
  command: string | null;
  /** Words after the command and before `with` (`help print_config`, `save_config out.yaml`); never contain '='. */
  commandArgs: string[];
  updates: Record<string, unknown>;
  requested: string[];
  options: RunOptions;
  /**
   * argv without the sweep flags, `with` and the words after it: a sweep's run is this plus its own
   * `with` words.
   */
  runArgv: string[];
  /** Sacred's run.json `meta.options`: `--long_name` keys with raw values, `UPDATE`, `with`, `COMMAND`, `help`. */
  metaOptions: Record<string, unknown>;
}

type ParseArgsOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

const byName = new Map<string, OptionSpec>();
const parseArgsOptions: ParseArgsOptions = {};
for (const spec of OPTION_SPECS) {
  const type = spec.valueName ? 'string' : 'boolean';
  byName.set(spec.long, spec);
  parseArgsOptions[spec.long] = spec.short ? { type, short: spec.short } : { type };
  const other = alternateSpelling(spec.long);
  if (other) {
    byName.set(other, spec);
    parseArgsOptions[other] = { type };
  }
}

function unknownOption(rawName: string, argv: readonly string[]): CommandLineError {
  const longNames = [...byName.keys()].map((name) => `--${name}`);
  if (rawName.startsWith('--')) {
    const best = closestSpelling(rawName, longNames, 3);
    const hint = best !== undefined ? ` Did you mean '${best}'?` : '';
    return new CommandLineError(`Unknown option '${rawName}'.${hint} Run with --help to list the options.`);
  }
  // `-force` is read as the group -f -o -r -c -e; point at the long form.
  const group = argv.find((arg) => /^-[^-]{2,}/.test(arg) && arg.includes(rawName.slice(1)));
  const asLong = group === undefined ? undefined : `-${group.split('=')[0]}`;
  const hint = asLong !== undefined && longNames.includes(asLong) ? ` Long options take two dashes: '${asLong}'.` : '';
  return new CommandLineError(
    `Unknown option '${group ?? rawName}' ('${rawName}' is not a flag).${hint} Run with --help to list the options.`,
  );
}

function unknownCommand(word: string, commands: readonly string[]): CommandLineError {
  const hint = word.includes('=') ? ` Config updates go after \`with\`: with ${word}.` : '';
  const best = closestSpelling(word, commands, 3);
  const guess = !hint && best !== undefined ? ` Did you mean '${best}'?` : '';
  return new CommandLineError(`Unknown command '${word}'.${hint}${guess} Available commands: ${commands.join(', ')}.`);
}

/** Parses `argv` (without node and the script path) against the experiment's commands. */
export function parseCommandLine(argv: string[], knownCommands: readonly string[]): ParsedCommandLine {
  const commands = knownCommands.includes('help') ? [...knownCommands] : [...knownCommands, 'help'];
  const { tokens } = parseArgs({
    args: argv,
    options: parseArgsOptions,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const options = defaultRunOptions();
  const metaOptions = emptyMetaOptions();
  const words: string[] = [];
  // argv positions a sweep's runs do not get: the sweep flags (with their values) and the `with` words.
  const notForRuns = new Set<number>();
  let afterWith = false;
  const grouped = new Map<number, string>();

  for (const token of tokens) {
    if (token.kind === 'positional') {
      words.push(token.value);
      if (token.value === 'with') afterWith = true;
      if (afterWith) notForRuns.add(token.index);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const spec = byName.get(token.name);
    if (!spec) throw unknownOption(token.rawName, argv);
    if (!spec.valueName && token.value !== undefined) {
      throw new CommandLineError(
        `Option ${flagLabel(spec)} takes no value; got '${token.rawName}=${token.value}'. Write just ${token.rawName}.`,
      );
    }
    // Non-strict parseArgs takes the next word as the value even when it is
    // another flag (`-F --force`); that is nearly always a missing value.
    // Negative numbers (`-P -4`) are values.
    if (
      spec.valueName &&
      token.value !== undefined &&
      !token.inlineValue &&
      token.value.startsWith('-') &&
      token.value.length > 1 &&
      !/^-[\d.]/.test(token.value)
    ) {
      throw new CommandLineError(
        `Option ${flagLabel(spec)} needs a value but is followed by '${token.value}'. If the value really starts with '-', write --${spec.long}=${token.value}.`,
      );
    }
    // `-b=5` is how other tools spell it; parseArgs reads the value as '=5'.
    const value =
      token.inlineValue && !token.rawName.startsWith('--') && token.value?.startsWith('=')
        ? token.value.slice(1)
        : token.value;
    applyOption(options, spec, value);
    const arg = argv[token.index]!;
    if (spec.sweep && spec.short && arg.startsWith('-') && !arg.startsWith('--') && arg.length > 2) {
      // `-Mu`: only the -M goes; the runs keep -u.
      grouped.set(token.index, (grouped.get(token.index) ?? arg).replace(spec.short, ''));
    } else if (spec.sweep) {
      notForRuns.add(token.index);
      if (token.value !== undefined && !token.inlineValue) notForRuns.add(token.index + 1);
    }
    metaOptions[`--${spec.long}`] = !spec.valueName
      ? true
      : spec.record && value !== undefined
        ? spec.record(value)
        : value;
  }

  const withAt = words.indexOf('with');
  const before = withAt < 0 ? words : words.slice(0, withAt);
  const after = withAt < 0 ? [] : words.slice(withAt + 1);
  if (after.includes('with'))
    throw new CommandLineError("'with' appears twice; put all updates after a single `with`.");

  let command: string | null = null;
  const commandArgs: string[] = [];
  if (before.length > 0) {
    const [first, ...rest] = before as [string, ...string[]];
    if (!commands.includes(first)) throw unknownCommand(first, commands);
    command = first;
    commandArgs.push(...rest);
  }
  if (command === 'help') {
    if (commandArgs.length > 1)
      throw new CommandLineError(`'help' takes at most one command name; got ${commandArgs.join(' ')}.`);
    const topic = commandArgs[0];
    if (topic !== undefined && !commands.includes(topic)) throw unknownCommand(topic, commands);
  } else {
    // Commands may take words (`save_config out.yaml`); the command decides
    // what they mean. A key=value there is surely a forgotten `with`.
    const update = commandArgs.find((word) => word.includes('='));
    if (update !== undefined) {
      throw new CommandLineError(
        `Unexpected '${update}' after the command ${command}. Config updates go after \`with\`: ${command} with ${update}.`,
      );
    }
  }

  const sweepFlag = OPTION_SPECS.find((spec) => spec.sweep && spec.key !== 'multirun' && metaOptions[`--${spec.long}`]);
  if (sweepFlag && !options.multirun)
    throw new CommandLineError(`Option ${flagLabel(sweepFlag)} sweeps; add -M (--multirun) to run a sweep.`);
  const workerFlag = OPTION_SPECS.find((spec) => spec.worker && metaOptions[`--${spec.long}`]);
  if (workerFlag && command !== 'worker')
    throw new CommandLineError(
      `Option ${flagLabel(workerFlag)} is for the worker command: ${flagLabel(workerFlag).split(' ')[0]} goes with \`worker -m URL\`.`,
    );
  // Under -M the values are sweep axes (`lr=0.1,0.01`), read by the sweep grammar instead.
  const { updates, requested } = options.multirun ? { updates: {}, requested: [] } : parseUpdates(after);
  metaOptions.COMMAND = command;
  metaOptions.UPDATE = after;
  metaOptions.with = withAt >= 0;
  metaOptions.help = command === 'help';
  const runArgv = argv.flatMap((arg, index) => (notForRuns.has(index) ? [] : [grouped.get(index) ?? arg]));
  return { command, commandArgs, updates, requested, options, runArgv, metaOptions };
}
