import { StringDecoder } from 'node:string_decoder';
import { UsageError } from '../errors.js';
import { FdRelayReader, relayFile } from './fd-relay.js';
import { ProgressCollapser } from './progress-collapse.js';

/**
 * Console output of a run, for `captured_out` (cout.txt, MongoDB), streamed to
 * observers on heartbeats: `drain()` returns only what is new since the last
 * call, with progress-bar redraws collapsed (see progress-collapse.ts); the
 * line still being drawn is held back until it ends. Text already drained is
 * not kept, so memory is bounded by the output between two heartbeats.
 *
 * Modes (`-C`): `no` records nothing; `sys` (default) hooks
 * process.stdout.write / process.stderr.write and still prints everything;
 * `fd` also catches bytes written straight to descriptors 1 and 2, through a
 * relaunched child process (see fd-relay.ts).
 */
export interface OutputCapture {
  /** New output since the last drain, progress collapsed; the unfinished line waits. */
  drain(): string;
  /** Restore the streams and return everything not drained yet, unfinished line included. */
  stop(): string;
}

export type CaptureMode = 'no' | 'sys' | 'fd';

class NoCapture implements OutputCapture {
  drain(): string {
    return '';
  }
  stop(): string {
    return '';
  }
}

type WriteFn = NodeJS.WriteStream['write'];

/** Hooks one stream's write; collapses per stream so a stderr progress bar and stdout lines do not overwrite each other. */
class StreamHook {
  private readonly original: WriteFn;
  private readonly hooked: WriteFn;
  private readonly decoder = new StringDecoder('utf8');
  private readonly collapser = new ProgressCollapser();
  private active = true;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    onText: (text: string) => void,
  ) {
    const original = stream.write;
    this.original = original;
    const record = (chunk: unknown, encoding: unknown): void => {
      let text: string;
      if (typeof chunk === 'string') {
        const enc = typeof encoding === 'string' ? encoding.toLowerCase() : 'utf8';
        text = enc === 'utf8' || enc === 'utf-8' ? chunk : this.decoder.write(Buffer.from(chunk, encoding as BufferEncoding));
      } else if (chunk instanceof Uint8Array) {
        text = this.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } else {
        return;
      }
      const finished = this.collapser.push(text);
      if (finished !== '') onText(finished);
    };
    const hook = this;
    this.hooked = function write(this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
      if (hook.active) {
        try {
          record(chunk, rest[0]);
        } catch {
          // Recording must never break the user's printing.
        }
      }
      return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    } as WriteFn;
    stream.write = this.hooked;
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
  private pending: string[] = [];
  private readonly hooks: StreamHook[];
  private stopped = false;

  constructor() {
    const onText = (text: string): void => void this.pending.push(text);
    this.hooks = [new StreamHook(process.stdout, onText), new StreamHook(process.stderr, onText)];
  }

  drain(): string {
    const text = this.pending.join('');
    this.pending = [];
    return text;
  }

  stop(): string {
    if (this.stopped) return '';
    this.stopped = true;
    const unfinished = this.hooks.map((hook) => hook.stop()).filter((line) => line !== '');
    return this.drain() + unfinished.join('\n');
  }
}

class FdCapture implements OutputCapture {
  private reader: FdRelayReader | null;

  constructor(file: string) {
    this.reader = new FdRelayReader(file);
  }

  drain(): string {
    return this.reader?.read() ?? '';
  }

  stop(): string {
    const rest = this.reader?.close() ?? '';
    this.reader = null;
    return rest;
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
