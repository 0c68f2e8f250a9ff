import picocolors from 'picocolors';

type Colors = ReturnType<typeof picocolors.createColors>;

/** Where the command writes, so tests can run it in-process and read what it printed. */
export interface CliIO {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  /** Force colours on or off; by default on only for a TTY without NO_COLOR. */
  color?: boolean;
  /** The clock used to decide that a RUNNING run is probably dead (tests pin it). */
  now?: () => Date;
  env?: NodeJS.ProcessEnv;
}

/** What every subcommand receives: output channels, colours and the clock. */
export interface CliContext {
  /** Write one line (a newline is added) to stdout. */
  out(text?: string): void;
  /** Write one line to stderr. */
  err(text: string): void;
  /** Raw stdout, for data formats (CSV, JSON) written as a whole. */
  write(text: string): void;
  /** Raw stderr, for a child process's output passed through. */
  errRaw(text: string): void;
  /** The exit code when the command ran but has a verdict other than success (ritual reproduce: 1 differs, 2 not rebuilt). */
  setExitCode(code: number): void;
  readonly exitCode: number;
  colors: Colors;
  now(): Date;
  /** Whether to show stack traces (`--debug`). */
  debug: boolean;
}

export function createContext(io: CliIO, debug: boolean): CliContext {
  const env = io.env ?? process.env;
  const colorEnabled = io.color ?? (Boolean(io.stdout.isTTY) && !('NO_COLOR' in env) && env.TERM !== 'dumb');
  let exitCode = 0;
  return {
    errRaw: (text) => void io.stderr.write(text),
    setExitCode: (code) => {
      exitCode = code;
    },
    get exitCode() {
      return exitCode;
    },
    out: (text = '') => void io.stdout.write(`${text}\n`),
    err: (text) => void io.stderr.write(`${text}\n`),
    write: (text) => void io.stdout.write(text),
    colors: picocolors.createColors(colorEnabled),
    now: io.now ?? (() => new Date()),
    debug,
  };
}
