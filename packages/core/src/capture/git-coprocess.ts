import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { findOnPath } from '../executable-on-path.js';

/**
 * Git commands run by one long-lived `/bin/sh` child instead of one child
 * process per command.
 *
 * Why: a child process is a fork of this process. In a process holding a
 * loaded TensorFlow (hundreds of MB written by training), the fork itself
 * holds the main thread for 5-15 ms, and it write-protects every page, so
 * the training that follows takes a copy-on-write fault for each page it
 * writes again. Measured with bench/training-overhead.ts on tfjs-node (16
 * alternating pairs of a 2 s MNIST training, one run per pair in one
 * process): with a `git status` forked at every run start, ritual's run took
 * 1.043x the bare training (fit alone 1.020x, start of run 18 ms); without
 * that fork, 0.999x (fit 0.983x, start 7 ms). The shell is forked once per
 * process (when the first run asks git), and it forks git, which is cheap
 * for a process of its size.
 *
 * Protocol: one request at a time, written to the shell's stdin as
 * `cd -- DIR && GIT ARGS </dev/null; printf END...`, where each END is a
 * marker on stdout (with git's exit status) and one on stderr. The markers
 * start with two NUL bytes and hold a random nonce, so no output of git
 * contains one (git's `-z` output never has two NULs in a row).
 *
 * The shell carries the environment it was started with, so it is replaced
 * when process.env has changed since (a test setting PATH or GIT_CONFIG_*).
 * Its stdin closing (this process exiting, even when killed) ends it; it is
 * in a session of its own so that Ctrl-C in a terminal does not kill it. If
 * it dies anyway, or cannot be started (no /bin/sh, Windows), commands fall
 * back to a process each: callers see the same results either way.
 */

/** What a git command produced, as a child process would report it. */
export interface GitOutput {
  stdout: Buffer;
  stderr: Buffer;
  /** Exit status; 127 when git could not be started. */
  code: number;
}

interface Request {
  marker: Buffer;
  errorMarker: Buffer;
  resolve: (output: GitOutput) => void;
  reject: (error: Error) => void;
  stdout?: Buffer;
  code?: number;
  stderr?: Buffer;
}

/** Thrown to a pending request when the shell went away: the caller runs the command another way. */
export class GitCoprocessGone extends Error {
  override readonly name = 'GitCoprocessGone';
}

class GitCoprocess {
  private readonly nonce = randomBytes(8).toString('hex');
  private sequence = 0;
  private readonly queue: Request[] = [];
  private stdout: Buffer = Buffer.alloc(0);
  private stderr: Buffer = Buffer.alloc(0);
  private gone = false;
  private closing = false;
  /** Requests answered: a shell that dies before its first answer is not worth starting again. */
  answered = 0;

  private constructor(
    private readonly child: ChildProcess,
    private readonly git: string,
    readonly environment: string,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout = this.stdout.length === 0 ? chunk : Buffer.concat([this.stdout, chunk]);
      this.settle();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = this.stderr.length === 0 ? chunk : Buffer.concat([this.stderr, chunk]);
      this.settle();
    });
    child.stdin!.on('error', () => this.fail());
    child.once('error', () => this.fail());
    // After 'close' every byte the shell wrote has been read: what is still pending will never be answered.
    child.once('close', () => this.fail());
    this.idle();
  }

  /** A shell that runs `git` (the executable at that path), or null where none can be started. */
  static start(git: string, environment: string): GitCoprocess | null {
    if (process.platform === 'win32') return null;
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, windowsHide: true });
    } catch {
      return null;
    }
    return new GitCoprocess(child, git, environment);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.gone && !this.closing;
  }

  /** No new requests; those written already are answered, then the shell exits (its stdin ended). */
  close(): void {
    this.closing = true;
    this.child.stdin!.end();
  }

  run(cwd: string, args: readonly string[]): Promise<GitOutput> {
    if (!this.alive) return Promise.reject(new GitCoprocessGone('the git shell has exited'));
    const id = `${this.nonce}:${++this.sequence}`;
    const words = [this.git, ...args].map(quote).join(' ');
    const script =
      `cd -- ${quote(cwd)} && ${words} </dev/null; ` +
      `printf '\\000\\000ritual-git:${id}:%d\\n' "$?"; printf '\\000\\000ritual-git:${id}\\n' >&2\n`;
    return new Promise<GitOutput>((resolve, reject) => {
      this.queue.push({
        marker: Buffer.from(`\0\0ritual-git:${id}:`),
        errorMarker: Buffer.from(`\0\0ritual-git:${id}\n`),
        resolve,
        reject,
      });
      this.busy();
      this.child.stdin!.write(script);
    });
  }

  /** Completes the oldest request once both of its markers have arrived (the shell answers in order). */
  private settle(): void {
    for (;;) {
      const request = this.queue[0];
      if (request === undefined) return;
      if (request.code === undefined) {
        const at = this.stdout.indexOf(request.marker);
        const end = at < 0 ? -1 : this.stdout.indexOf(0x0a, at + request.marker.length);
        if (end >= 0) {
          request.stdout = this.stdout.subarray(0, at);
          request.code = Number(this.stdout.subarray(at + request.marker.length, end).toString('latin1'));
          this.stdout = this.stdout.subarray(end + 1);
        }
      }
      if (request.stderr === undefined) {
        const at = this.stderr.indexOf(request.errorMarker);
        if (at >= 0) {
          request.stderr = this.stderr.subarray(0, at);
          this.stderr = this.stderr.subarray(at + request.errorMarker.length);
        }
      }
      if (request.code === undefined || request.stderr === undefined) return;
      this.queue.shift();
      this.answered++;
      if (this.queue.length === 0) this.idle();
      request.resolve({ stdout: request.stdout!, stderr: request.stderr, code: request.code });
    }
  }

  private fail(): void {
    if (this.gone) return;
    this.gone = true;
    this.idle();
    for (const request of this.queue.splice(0)) request.reject(new GitCoprocessGone('the git shell has exited'));
    this.child.stdin?.destroy();
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }

  /** While a command is pending the shell keeps the process alive, as a child process would. */
  private busy(): void {
    this.child.ref();
    (this.child.stdout as { ref?: () => void } | null)?.ref?.();
  }

  /** Idle, it never keeps the process from exiting. */
  private idle(): void {
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) {
      (stream as { unref?: () => void } | null)?.unref?.();
    }
  }
}

/** `'…'` with every `'` written as `'\''`: one word for sh, whatever it holds. */
function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

let shell: GitCoprocess | null | undefined;

/**
 * Runs git through the process's shared shell. Rejects with an ENOENT error
 * when git is not on PATH (found without starting anything), and with
 * GitCoprocessGone when no shell can serve (the caller spawns git itself).
 */
export function runThroughShell(cwd: string, args: readonly string[]): Promise<GitOutput> {
  const environment = JSON.stringify(process.env);
  if (shell && (!shell.alive || shell.environment !== environment)) {
    const died = !shell.alive && shell.answered === 0;
    shell.close();
    // A shell that could not answer once (no /bin/sh) is not tried again: every try is a fork.
    shell = died ? null : undefined;
  }
  if (shell === undefined) {
    const git = findOnPath('git');
    if (git === null) {
      const error = new Error('spawn git ENOENT') as NodeJS.ErrnoException;
      error.code = 'ENOENT';
      return Promise.reject(error);
    }
    shell = GitCoprocess.start(git, environment);
  }
  if (shell === null) return Promise.reject(new GitCoprocessGone('no shell to run git in'));
  return shell.run(cwd, args);
}

/** The process id of the current git shell, if one runs (tests). */
export function gitShellPid(): number | undefined {
  return shell?.alive ? shell.pid : undefined;
}
