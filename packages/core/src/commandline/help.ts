/**
 * `prog --help` and `prog help [COMMAND]`: the usage grammar, the flags (from
 * the same table the parser uses), the commands with their docs, the named
 * configs and the default config.
 */
import { CommandLineError } from '../errors.js';
import type { JsonObject } from '../run/run-record.js';
import { flagLabel, OPTION_SPECS } from './options.js';
import { configLines } from './print-config.js';

export interface HelpInfo {
  experimentName: string;
  /** How the user started the program, e.g. `node train.js`. */
  program: string;
  commands: Array<{ name: string; doc: string }>;
  namedConfigs: string[];
  config: JsonObject;
}

const HELP_DOC = 'Show this help, or the help of one COMMAND.';

const UPDATE_HELP = [
  'UPDATE is key=value (dotted keys reach into objects: model.hidden=256; values',
  'are literals: 3, 1e-3, true, null, "quoted text", [1, 2], {a: 1}; anything else',
  'is a string), or the name of a named config, or a .json/.yaml config file.',
  'Later named configs win over earlier ones; key=value wins over both.',
  'There is no seed flag: use `with seed=N`.',
];

const SWEEP_HELP = [
  'SWEEPS (-M/--multirun): each key=value below becomes an axis; plain values stay fixed.',
  '  lr=0.1,0.01             grid: these values (commas inside [..], {..} or quotes do not split)',
  '  n=range(1, 10, 2)       grid: start, stop (excluded), step (default 1)',
  '  opt=choice(adam, sgd)   grid: these values',
  '  lr=uniform(0, 1)        random (needs --samples N): a float in [a, b)',
  '  lr=loguniform(1e-4, 1)  random: a float whose log is uniform',
  '  n=randint(1, 6)         random: an integer in [a, b], both included',
  'Grid axes multiply (a 3x2 grid runs 6 configs); --samples N draws N configs instead, grid axes',
  'sampled uniformly. Each config is an ordinary run in its own process, with a seed derived from',
  'the sweep seed (--sweep-seed S, else a fresh one, recorded in meta.sweep). The sweep ends with a',
  'table ranked by result (or --sweep-metric NAME, highest first unless --minimize); exit 1 if any',
  'run failed. `print_config -M` lists the configs without running them.',
];

const QUEUE_HELP = [
  'QUEUE (MongoDB only): -q -m URL stores a QUEUED run (-M -q: one per config of the sweep);',
  '`worker -m URL` claims them (highest -P first, then oldest), one atomic update each, and runs each',
  'in its own process under the queued id, until none are left (--wait keeps polling). A claimed run',
  'without a heartbeat for --dead-after SECONDS (default 120) is FAILED, or queued again while',
  '--retries N allow. --strict refuses a run queued from other sources than the worker has.',
];

function table(rows: Array<[string, string]>): string[] {
  const width = Math.min(32, Math.max(0, ...rows.map(([left]) => left.length)));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`.trimEnd());
}

function commandList(info: HelpInfo): Array<{ name: string; doc: string }> {
  return info.commands.some((c) => c.name === 'help')
    ? info.commands
    : [...info.commands, { name: 'help', doc: HELP_DOC }];
}

/** The first paragraph of a doc, on one line, for the command table. */
function summaryLine(doc: string): string {
  return (doc.trim().split(/\n\s*\n/)[0] ?? '').replace(/\s+/g, ' ');
}

/** Help for the whole program, or for one command (CommandLineError if unknown). */
export function renderHelp(info: HelpInfo, command?: string): string {
  const commands = commandList(info);
  if (command !== undefined) {
    const entry = commands.find((c) => c.name === command);
    if (!entry) {
      throw new CommandLineError(
        `Unknown command '${command}'. Available commands: ${commands.map((c) => c.name).join(', ')}.`,
      );
    }
    const usage =
      command === 'help' ? `${info.program} help [COMMAND]` : `${info.program} ${command} [with UPDATE...] [options]`;
    return [`Usage: ${usage}`, '', entry.doc.trim() || '(no description)'].join('\n');
  }
  const lines = [
    `${info.experimentName}`,
    '',
    'Usage:',
    `  ${info.program} [with UPDATE...] [options]`,
    `  ${info.program} COMMAND [with UPDATE...] [options]`,
    `  ${info.program} help [COMMAND]`,
    `  ${info.program} (-h | --help)`,
    '',
    'Options (before or after `with`):',
    ...table(OPTION_SPECS.map((spec) => [flagLabel(spec), spec.doc])),
    '',
    'Commands:',
    ...table(commands.map((c) => [c.name, summaryLine(c.doc)])),
    '',
    'Named configs:',
    ...(info.namedConfigs.length > 0 ? info.namedConfigs.map((name) => `  ${name}`) : ['  (none)']),
    '',
    'Configuration (defaults):',
    ...configLines(info.config, { color: false }),
    '',
    ...UPDATE_HELP,
    '',
    ...SWEEP_HELP,
    '',
    ...QUEUE_HELP,
  ];
  return lines.join('\n');
}
