import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Readable, Writable } from 'node:stream';
import { UsageError } from '../errors.js';
import { OUTPUT_PIECE_BYTES, wholeCharactersLength } from './output-spool.js';
import { ProgressCollapser } from './progress-collapse.js';

/**
 * `-C fd`: capture bytes written straight to file descriptors 1 and 2 (native
 * code such as tfjs-node's TensorFlow logs, `fs.writeSync(1, ...)`, children
 * spawned with stdio 'inherit'). Node cannot `dup2` its own descriptors without
 * a native addon, so the script is RELAUNCHED as a child whose fds 1 and 2 are
 * pipes; this parent copies every byte to its own terminal unchanged and
 * appends the collapsed text (progress redraws resolved per stream) to a
 * temporary file that the child reads for `captured_out`.
 *
 * Trade-offs (also in the README): the script's top-level code runs twice
 * (once here, up to the relaunch, once in the child), so heavy work belongs
 * inside main; in the child stdout/stderr are pipes, not a TTY (FORCE_COLOR
 * is set when the parent has a TTY so colours survive, but a library that
 * redraws only on a TTY prints plain lines); stdout and stderr lines keep
 * their order within a stream, not exactly across streams; one more node
 * process (~40 ms, ~40 MB). The child syncs with the parent by writing a
 * marker (an OSC escape, ignored by terminals if one ever leaked) to both
 * pipes and waiting for the parent's acknowledgement, so `stop()` returns
 * everything written before it.
 */

export const FD_CAPTURE_ENV = 'RITUAL_FD_CAPTURE_FILE';
const MARK_START = Buffer.from('\x1b]ritual-sync;');
const MARK_END = 0x07;
const SYNC_TIMEOUT_MS = 3000;

function ackFileOf(file: string): string {
  return `${file}.ack`;
}

/**
 * Copies a child's stream to the parent's, strips sync markers, and feeds the
 * collapsed text to the capture file.
 */
class Tee {
  private held = Buffer.alloc(0);
  private readonly decoder = new StringDecoder('utf8');
  private readonly collapser = new ProgressCollapser();

  constructor(
    private readonly source: Readable,
    private readonly target: Writable,
    private readonly append: (text: string) => void,
    private readonly onMark: (nonce: string) => void,
  ) {
    source.on('data', (chunk: Buffer) => this.receive(chunk));
    source.on('end', () => this.finish());
  }

  private receive(chunk: Buffer): void {
    let data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    for (;;) {
      const at = data.indexOf(MARK_START);
      if (at < 0) break;
      const end = data.indexOf(MARK_END, at + MARK_START.length);
      if (end < 0) {
        this.pass(data.subarray(0, at));
        this.held = Buffer.from(data.subarray(at));
        return;
      }
      this.pass(data.subarray(0, at));
      // Everything before the marker is in the file, unfinished line included.
      this.append(this.decoder.write(Buffer.alloc(0)) + this.collapser.flush());
      this.onMark(data.subarray(at + MARK_START.length, end).toString('latin1'));
      data = data.subarray(end + 1);
    }
    // Hold back a tail that may be the start of a marker split across chunks.
    for (let keep = Math.min(MARK_START.length - 1, data.length); keep > 0; keep--) {
      if (data.subarray(data.length - keep).equals(MARK_START.subarray(0, keep))) {
        this.held = Buffer.from(data.subarray(data.length - keep));
        data = data.subarray(0, data.length - keep);
        break;
      }
    }
    this.pass(data);
  }

  private pass(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (!this.target.write(bytes)) {
      this.source.pause();
      this.target.once('drain', () => this.source.resume());
    }
    this.append(this.collapser.push(this.decoder.write(bytes)));
  }

  private finish(): void {
    this.pass(this.held);
    this.held = Buffer.alloc(0);
    this.append(this.collapser.push(this.decoder.end()) + this.collapser.flush());
  }
}

/**
 * Relaunch the running script as a child with captured fds 1 and 2, and wait
 * for it. Returns the exit code the parent should exit with, or null when this
 * process already is the relaunched child (then start `-C fd` capture here).
 *
 * Integration (in automain, once the command line says `-C fd`, BEFORE any
 * observer or run is created):
 *   const code = await relaunchForFdCapture();
 *   if (code !== null) process.exit(code);
 */
export async function relaunchForFdCapture(): Promise<number | null> {
  if (relayFile() !== null) return null;
  const script = process.argv[1];
  if (script === undefined) {
    throw new UsageError(
      '-C fd relaunches the script as a child process, which needs a script file; run it as `node script.js`, or use -C sys.',
    );
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ritual-fd-'));
  const file = path.join(dir, 'captured.txt');
  writeFileSync(file, '');
  const fileFd = openSync(file, 'a');
  const env: NodeJS.ProcessEnv = { ...process.env, [FD_CAPTURE_ENV]: file };
  if (process.stdout.isTTY && env['FORCE_COLOR'] === undefined && env['NO_COLOR'] === undefined)
    env['FORCE_COLOR'] = '1';

  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'pipe', 'pipe'],
    env,
  });
  const append = (text: string): void => {
    if (text !== '') writeSync(fileFd, text);
  };
  // A marker is acknowledged once it came through both pipes.
  const marks = new Map<string, number>();
  const onMark = (nonce: string): void => {
    const seen = (marks.get(nonce) ?? 0) + 1;
    marks.set(nonce, seen);
    if (seen === 2) {
      marks.delete(nonce);
      writeFileSync(ackFileOf(file), nonce);
    }
  };
  new Tee(child.stdout, process.stdout, append, onMark);
  new Tee(child.stderr, process.stderr, append, onMark);

  // Ctrl-C reaches the whole process group, the child included: the parent
  // waits for the child's own handling. Signals sent to the parent alone are forwarded.
  const ignore = (): void => {};
  const forward = (signal: NodeJS.Signals) => (): void => void child.kill(signal);
  const forwarders = { SIGTERM: forward('SIGTERM'), SIGHUP: forward('SIGHUP') };
  process.on('SIGINT', ignore);
  for (const [signal, handler] of Object.entries(forwarders)) process.on(signal, handler);

  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => {
        if (code !== null) resolve(code);
        else resolve(128 + (signal === null ? 1 : (os.constants.signals[signal] ?? 1)));
      });
    });
  } finally {
    process.off('SIGINT', ignore);
    for (const [signal, handler] of Object.entries(forwarders)) process.off(signal, handler);
    closeSync(fileFd);
    rmSync(dir, { recursive: true, force: true });
  }
}

let relayFileCache: string | null | undefined;
/** The capture file when this process is a relaunched child. Read once and removed from env, so grandchildren do not inherit it. */
export function relayFile(): string | null {
  if (relayFileCache === undefined) {
    relayFileCache = process.env[FD_CAPTURE_ENV] ?? null;
    delete process.env[FD_CAPTURE_ENV];
  }
  return relayFileCache;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function writeMark(fd: number, mark: Buffer): void {
  let written = 0;
  const deadline = Date.now() + SYNC_TIMEOUT_MS;
  while (written < mark.length && Date.now() < deadline) {
    try {
      written += writeSync(fd, mark, written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      sleep(1); // the pipe is full; the parent is draining it
    }
  }
}

/** The child's side: reads the collapsed output the parent appends to the capture file. */
export class FdRelayReader {
  private readonly fd: number;
  private offset: number;

  constructor(private readonly file: string) {
    this.fd = openSync(file, 'r');
    // Output written before the capture started belongs to no run.
    this.sync();
    this.offset = fstatSync(this.fd).size;
  }

  /** Wait until the parent has written everything this process wrote so far (bounded by a timeout). */
  sync(): void {
    const nonce = randomUUID();
    const mark = Buffer.concat([MARK_START, Buffer.from(nonce, 'latin1'), Buffer.from([MARK_END])]);
    writeMark(1, mark);
    writeMark(2, mark);
    const deadline = Date.now() + SYNC_TIMEOUT_MS;
    while (Date.now() < deadline) {
      try {
        if (readFileSync(ackFileOf(this.file), 'latin1') === nonce) return;
      } catch {
        // no acknowledgement written yet
      }
      sleep(2);
    }
  }

  /** Bytes the parent wrote that were not read yet. */
  get unreadBytes(): number {
    return Math.max(0, fstatSync(this.fd).size - this.offset);
  }

  /** The oldest text not read yet, at most OUTPUT_PIECE_BYTES of it, so memory stays bounded; '' when none waits. */
  read(): string {
    const size = Math.min(fstatSync(this.fd).size, this.offset + OUTPUT_PIECE_BYTES);
    if (size <= this.offset) return '';
    const buffer = Buffer.allocUnsafe(size - this.offset);
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(this.fd, buffer, filled, buffer.length - filled, this.offset + filled);
      if (n === 0) break;
      filled += n;
    }
    // A character cut at the end of the piece is read with the next one.
    const whole = wholeCharactersLength(buffer, filled);
    this.offset += whole;
    return buffer.toString('utf8', 0, whole);
  }

  /** Stops reading; text not read yet is dropped (call sync() and read() until '' first to keep it). */
  close(): void {
    closeSync(this.fd);
  }
}
