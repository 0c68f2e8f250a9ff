import { StringDecoder } from 'node:string_decoder';
import { UsageError } from '../errors.js';
import { FdRelayReader, relayFile } from './fd-relay.js';
import { OutputSpool } from './output-spool.js';
import { ProgressCollapser } from './progress-collapse.js';

/**
 * Console output of a run, for `captured_out` (cout.txt, MongoDB), streamed to
 * observers on heartbeats: `drain()` returns the oldest output not returned
 * yet, with progress-bar redraws collapsed (see progress-collapse.ts); the
 * line still being drawn is held back until it ends. Memory is bounded by
 * size, not by time: past a few MiB the output waits in a temporary file
 * (output-spool.ts) and `drain()` returns it in pieces of at most
 * OUTPUT_PIECE_BYTES, so a heartbeat may take several drains.
 *
 * Modes (`-C`): `no` records nothing; `sys` (default) hooks
 * process.stdout.write / process.stderr.write and still prints everything;
 * `fd` also catches bytes written straight to descriptors 1 and 2, through a
 * relaunched child process (see fd-relay.ts).
 */
export interface OutputCapture {
  /** The oldest output not drained yet, progress collapsed, at most OUTPUT_PIECE_BYTES; '' when none waits. */
  drain(): string;
  /** UTF-8 bytes recorded and not drained yet (after stop(), the unfinished lines included). */
  readonly pendingBytes: number;
  /** Stop recording and restore the streams (idempotent); what was recorded, unfinished lines too, stays to drain. */
  stop(): void;
  /** Stop, and let go of what holds the output (a temporary file); output not drained is dropped. */
  dispose(): void;
}

export type CaptureMode = 'no' | 'sys' | 'fd';

class NoCapture implements OutputCapture {
  readonly pendingBytes = 0;
  drain(): string {
    return '';
  }
  stop(): void {}
  dispose(): void {}
}

type WriteFn = NodeJS.WriteStream['write'];

// A write is recorded in slices of this many characters (or bytes), so that what one huge write costs on top of
// the user's own string is a slice, not a copy of it: a 64 MiB line is not decoded or collapsed in one piece.
const RECORD_SLICE = 1 << 20;

/**
 * Hooks one stream's write; collapses per stream so a stderr progress bar and stdout lines do not overwrite each
 * other.
 */
class StreamHook {
  private readonly original: WriteFn;
  private readonly hooked: WriteFn;
  private readonly decoder = new StringDecoder('utf8');
  private readonly collapser = new ProgressCollapser();
  private active = true;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly onText: (text: string) => void,
  ) {
    const original = stream.write;
    this.original = original;
    const hook = this;
    this.hooked = function write(this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
      if (hook.active) {
        try {
          hook.record(chunk, rest[0]);
        } catch {
          // Recording must never break the user's printing.
        }
      }
      return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    } as WriteFn;
    stream.write = this.hooked;
  }

  private record(chunk: unknown, encoding: unknown): void {
    if (typeof chunk === 'string') {
      const enc = typeof encoding === 'string' ? encoding.toLowerCase() : 'utf8';
      if (enc !== 'utf8' && enc !== 'utf-8') {
        this.recordBytes(Buffer.from(chunk, encoding as BufferEncoding));
        return;
      }
      for (let start = 0; start < chunk.length; ) {
        let end = Math.min(chunk.length, start + RECORD_SLICE);
        // never cut a surrogate pair in two
        if (end < chunk.length && /[\uD800-\uDBFF]/.test(chunk[end - 1]!)) end--;
        this.feed(chunk.length <= RECORD_SLICE ? chunk : chunk.slice(start, end));
        start = end;
      }
    } else if (chunk instanceof Uint8Array) {
      this.recordBytes(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
  }

  private recordBytes(bytes: Buffer): void {
    // The decoder keeps a character cut at a slice boundary for the next slice.
    for (let at = 0; at < bytes.length; at += RECORD_SLICE) {
      this.feed(this.decoder.write(bytes.subarray(at, at + RECORD_SLICE)));
    }
  }

  private feed(text: string): void {
    const finished = this.collapser.push(text);
    if (finished !== '') this.onText(finished);
  }

  /** Stop recording; returns the unfinished line. */
  stop(): string {
    this.active = false;
    // Put the original back only if nobody wrapped write after us; otherwise
    // our wrapper stays in their chain as a plain pass-through.
    if (this.stream.write === this.hooked) this.stream.write = this.original;
    return this.collapser.push(this.decoder.end()) + this.collapser.flush();
  }
}

class SysCapture implements OutputCapture {
  private readonly spool = new OutputSpool();
  private readonly hooks: StreamHook[];
  private stopped = false;

  constructor() {
    const onText = (text: string): void => this.spool.append(text);
    this.hooks = [new StreamHook(process.stdout, onText), new StreamHook(process.stderr, onText)];
  }

  get pendingBytes(): number {
    return this.spool.pendingBytes;
  }

  drain(): string {
    return this.spool.take();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const unfinished = this.hooks.map((hook) => hook.stop()).filter((line) => line !== '');
    this.spool.append(unfinished.join('\n'));
  }

  dispose(): void {
    this.stop();
    this.spool.close();
  }
}

class FdCapture implements OutputCapture {
  private reader: FdRelayReader | null;
  private stopped = false;

  constructor(file: string) {
    this.reader = new FdRelayReader(file);
  }

  get pendingBytes(): number {
    return this.reader?.unreadBytes ?? 0;
  }

  drain(): string {
    return this.reader?.read() ?? '';
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reader?.sync();
  }

  dispose(): void {
    this.stop();
    this.reader?.close();
    this.reader = null;
  }
}

export function startOutputCapture(mode: CaptureMode): OutputCapture {
  switch (mode) {
    case 'no':
      return new NoCapture();
    case 'sys':
      return new SysCapture();
    case 'fd': {
      const file = relayFile();
      if (file === null) {
        throw new UsageError(
          '-C fd needs the script relaunched with captured file descriptors: call `await relaunchForFdCapture()` first (ritual does this in automain), or use -C sys.',
        );
      }
      return new FdCapture(file);
    }
    default:
      throw new UsageError(`Unknown capture mode ${JSON.stringify(mode)}; use one of: no, sys, fd.`);
  }
}
