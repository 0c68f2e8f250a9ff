/**
 * Runs one benchmark subject (a ritual script, a Sacred script, a bare
 * interpreter) as a child process and reads its figure back.
 *
 * Subjects print `BENCH_RESULT {json}` on stdout; everything else they print
 * (Sacred's log lines, captured output) is ignored but kept for the error
 * message when the subject fails.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface ChildRun {
  /** Wall time from spawn to exit, measured here (process start to end). */
  ms: number;
  /** User + system CPU time of the child and everything it waited for, when measured (`cpuTime`). */
  cpuMs: number | null;
  stdout: string;
  stderr: string;
}

export interface ChildOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the child after this long; a hung subject must not hang the suite. */
  timeoutMs?: number;
  /**
   * Also measure CPU time through GNU time (/usr/bin/time), which is far less
   * sensitive than wall time to other work on a shared machine.
   */
  cpuTime?: boolean;
  /** Called with the child's pid once it is spawned (to watch its memory, say). */
  onSpawn?: (pid: number) => void;
}

const GNU_TIME = '/usr/bin/time';
const CPU_MARKER = 'BENCH_CPU ';

/** Whether CPU times can be measured here (GNU time installed). */
export function canMeasureCpu(): boolean {
  return existsSync(GNU_TIME);
}

const RESULT_MARKER = 'BENCH_RESULT ';

/** Spawn `command args`, wait for it, fail with its output when it exits non-zero. */
export function runChild(command: string, args: readonly string[], options: ChildOptions = {}): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const cpuTime = options.cpuTime === true && canMeasureCpu();
    const started = process.hrtime.bigint();
    const child = spawn(cpuTime ? GNU_TIME : command, cpuTime ? ['-f', `${CPU_MARKER}%U %S`, command, ...args] : args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
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
      if (code === 0) resolve({ ms, cpuMs: cpuTime ? cpuFrom(stderr) : null, stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')} exited with ${signal ?? code}:\n${tail(stderr || stdout)}`));
    });
  });
}

/** The JSON a subject printed after `BENCH_RESULT `. */
export function parseResult<T>(run: ChildRun, what: string): T {
  const line = run.stdout.split('\n').find((text) => text.startsWith(RESULT_MARKER));
  if (line === undefined)
    throw new Error(`${what} printed no ${RESULT_MARKER.trim()} line:\n${tail(run.stdout + run.stderr)}`);
  return JSON.parse(line.slice(RESULT_MARKER.length)) as T;
}

/** Print a figure from a ritual-side subject, in the format parseResult reads. */
export function emitResult(result: unknown): void {
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

/** GNU time prints `BENCH_CPU user sys` (seconds) as the last line of stderr. */
function cpuFrom(stderr: string): number | null {
  const line = stderr.split('\n').findLast((text) => text.startsWith(CPU_MARKER));
  if (line === undefined) return null;
  const [user = Number.NaN, system = Number.NaN] = line.slice(CPU_MARKER.length).split(' ').map(Number);
  return Number.isFinite(user + system) ? (user + system) * 1000 : null;
}

function tail(text: string): string {
  return text.split('\n').slice(-30).join('\n');
}
