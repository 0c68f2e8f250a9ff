import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * Commands run by one long-lived `/bin/sh` child instead of one child
 * process per command.
 *
 * Why: a child process is a fork of this process. In a process holding a
 * loaded TensorFlow (hundreds of MB written by training), the fork itself
 * holds the main thread for 5-15 ms, and it write-protects every page, so
 * the training that follows takes a copy-on-write fault for each page it
 * writes again (one `spawn('true')` before a 2 s tfjs-node MNIST training:
 * +33 ms wall, +40 ms system CPU). A run asks git at its start and the
 * system sampler asks nvidia-smi at every sample; through a shell, this
 * process forks once (when the shell starts) and the shell, small, forks the
 * commands. Measured with bench/training-overhead.ts on tfjs-node (16
 * alternating pairs): with a `git status` forked at every run start, ritual's
 * run took 1.043x the bare training; without it, 0.999x.
 *
 * Protocol: one request at a time, written to the shell's stdin as
 * `cd -- DIR && COMMAND ARGS </dev/null; printf END...`, where each END is a
 * marker on stdout (with the command's exit status) and one on stderr. The
 * markers start with two NUL bytes and hold a random nonce, so no output of
 * the commands run here contains one (git's `-z` output never has two NULs
 * in a row; the others print text).
 *
 * The shell carries the environment it was started with, so it is replaced
 * when process.env has changed since (a test setting PATH or GIT_CONFIG_*).
 * Its stdin closing (this process exiting, even when killed) ends it; it is
 * in a session of its own so that Ctrl-C in a terminal does not kill it. If
 * it dies anyway, or cannot be started (no /bin/sh, Windows), requests fail
 * with CommandShellGone and the caller starts the command itself.
 */

/** What a command produced, as a child process would report it. */
export interface CommandOutput {
  stdout: Buffer;
  stderr: Buffer;
  /** Exit status; 127 when the shell could not start the command. */
  code: number;
}

/** A request the shell could not answer (it exited, or none can run here): run the command another way. */
export class CommandShellGone extends Error {
  override readonly name = 'CommandShellGone';
}

/** The command ran longer than its timeout; it was killed with the shell. */
export class CommandTimeout extends Error {
  override readonly name = 'CommandTimeout';
}

export interface CommandOptions {
  /** Folder the command runs in (default: this process's working folder). */
  cwd?: string;
  /** Kill the command (and the shell, replaced at the next request) after this long. */
  timeoutMs?: number;
}

interface Request {
  marker: Buffer;
  errorMarker: Buffer;
  resolve: (output: CommandOutput) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
  stdout?: Buffer;
  code?: number;
  stderr?: Buffer;
}

/** One /bin/sh child and the requests it is answering, in order. */
class ShellProcess {
  private readonly nonce = randomBytes(8).toString('hex');
  private sequence = 0;
  private readonly queue: Request[] = [];
  private stdout: Buffer = Buffer.alloc(0);
  private stderr: Buffer = Buffer.alloc(0);
  private gone = false;
  private closing = false;
  /** Requests answered: a shell that dies before its first answer is not worth starting again. */
  answered = 0;

  constructor(
    private readonly child: ChildProcess,
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

  run(executable: string, args: readonly string[], options: CommandOptions): Promise<CommandOutput> {
    if (!this.alive) return Promise.reject(new CommandShellGone('the command shell has exited'));
    const id = `${this.nonce}:${++this.sequence}`;
    const words = [executable, ...args].map(quote).join(' ');
    const cd = options.cwd === undefined ? '' : `cd -- ${quote(options.cwd)} && `;
    const script =
      `${cd}${words} </dev/null; ` +
      `printf '\\000\\000ritual-shell:${id}:%d\\n' "$?"; printf '\\000\\000ritual-shell:${id}\\n' >&2\n`;
    return new Promise<CommandOutput>((resolve, reject) => {
      const request: Request = {
        marker: Buffer.from(`\0\0ritual-shell:${id}:`),
        errorMarker: Buffer.from(`\0\0ritual-shell:${id}\n`),
        resolve,
        reject,
      };
      if (options.timeoutMs !== undefined) {
        request.timer = setTimeout(() => this.timeOut(request, executable, options.timeoutMs!), options.timeoutMs);
        request.timer.unref();
      }
      this.queue.push(request);
      this.busy();
      this.child.stdin!.write(script);
    });
  }

  /** The command in flight is killed with its shell (its process group); requests behind it go another way. */
  private timeOut(request: Request, executable: string, timeoutMs: number): void {
    const index = this.queue.indexOf(request);
    if (index < 0) return;
    this.queue.splice(index, 1);
    request.reject(new CommandTimeout(`${executable} did not finish within ${timeoutMs} ms`));
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    this.fail();
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
      if (request.timer) clearTimeout(request.timer);
      this.answered++;
      if (this.queue.length === 0) this.idle();
      request.resolve({ stdout: request.stdout!, stderr: request.stderr, code: request.code });
    }
  }

  private fail(): void {
    if (this.gone) return;
    this.gone = true;
    this.idle();
    for (const request of this.queue.splice(0)) {
      if (request.timer) clearTimeout(request.timer);
      request.reject(new CommandShellGone('the command shell has exited'));
    }
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

/**
 * A shell of its own for one kind of command (git, nvidia-smi): a command
 * that hangs holds up only its own kind.
 */
export class CommandShell {
  private shell: ShellProcess | null | undefined;

  /** Runs `executable` (a path: look it up with findOnPath first) through this shell. */
  run(executable: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandOutput> {
    const environment = JSON.stringify(process.env);
    if (this.shell && (!this.shell.alive || this.shell.environment !== environment)) {
      const died = !this.shell.alive && this.shell.answered === 0;
      this.shell.close();
      // A shell that could not answer once (no /bin/sh) is not tried again: every try is a fork.
      this.shell = died ? null : undefined;
    }
    if (this.shell === undefined) this.shell = startShell(environment);
    if (this.shell === null) return Promise.reject(new CommandShellGone('no shell to run commands in'));
    return this.shell.run(executable, args, options);
  }

  /** The process id of the shell, if one runs (tests). */
  get pid(): number | undefined {
    return this.shell?.alive ? this.shell.pid : undefined;
  }
}

function startShell(environment: string): ShellProcess | null {
  if (process.platform === 'win32') return null;
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, windowsHide: true });
  } catch {
    return null;
  }
  return new ShellProcess(child, environment);
}
