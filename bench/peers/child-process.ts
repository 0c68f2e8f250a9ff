/**
 * Runs one benchmark subject (a ritual script, a Sacred script, a bare
 * interpreter) as a child process and reads its figure back.
 *
 * Subjects print `BENCH_RESULT {json}` on stdout; everything else they print
 * (Sacred's log lines, captured output) is ignored but kept for the error
 * message when the subject fails.
 */
import { spawn } from 'node:child_process';

export interface ChildRun {
  /** Wall time from spawn to exit, measured here (process start to end). */
  ms: number;
  stdout: string;
  stderr: string;
}

export interface ChildOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the child after this long; a hung subject must not hang the suite. */
  timeoutMs?: number;
}

const RESULT_MARKER = 'BENCH_RESULT ';

/** Spawn `command args`, wait for it, fail with its output when it exits non-zero. */
export function runChild(command: string, args: readonly string[], options: ChildOptions = {}): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10 * 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${command}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve({ ms, stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')} exited with ${signal ?? code}:\n${tail(stderr || stdout)}`));
    });
  });
}

/** The JSON a subject printed after `BENCH_RESULT `. */
export function parseResult<T>(run: ChildRun, what: string): T {
  const line = run.stdout.split('\n').find((text) => text.startsWith(RESULT_MARKER));
  if (line === undefined) throw new Error(`${what} printed no ${RESULT_MARKER.trim()} line:\n${tail(run.stdout + run.stderr)}`);
  return JSON.parse(line.slice(RESULT_MARKER.length)) as T;
}

/** Print a figure from a ritual-side subject, in the format parseResult reads. */
export function emitResult(result: unknown): void {
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

function tail(text: string): string {
  return text.split('\n').slice(-30).join('\n');
}
