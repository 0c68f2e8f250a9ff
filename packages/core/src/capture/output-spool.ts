import { closeSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * How much captured output may wait in memory, and the most one heartbeat carries. Output reaches observers on
 * heartbeats, but a main that prints without yielding never lets a heartbeat run: held by time, 256 MiB printed
 * in one go crashed a 128 MB heap and a 64 MiB line took 648 MB of RSS. Held by size, a capture costs a few MiB
 * whatever is printed.
 */
export const OUTPUT_PIECE_BYTES = 4 * 1024 * 1024;

/**
 * Captured text waiting for the next heartbeat, bounded in memory by size: once more than `limitBytes` is held,
 * it is written synchronously (the printing main cannot be made to wait for anything else) to a temporary file,
 * and `take()` hands it back in pieces of at most `limitBytes`, oldest first. The file is unlinked as soon as it
 * is open where the OS allows it (Linux, macOS), so a killed process leaves nothing behind; it is emptied whenever
 * it has been read to the end, so the disk holds only what observers have not taken yet.
 *
 * If the file cannot be written (disk full, no temporary directory), the text stays in memory as before: a
 * capture must never lose output nor break the user's printing.
 */
export class OutputSpool {
  private held: string[] = [];
  private heldBytes = 0;
  private file: { fd: number; dir: string } | null = null;
  private spillBroken = false;
  // Byte offsets in the file: what was written, what was taken back.
  private written = 0;
  private taken = 0;

  constructor(private readonly limitBytes = OUTPUT_PIECE_BYTES) {}

  /** Text not taken yet, in UTF-8 bytes. */
  get pendingBytes(): number {
    return this.written - this.taken + this.heldBytes;
  }

  append(text: string): void {
    if (text === '') return;
    this.held.push(text);
    this.heldBytes += Buffer.byteLength(text);
    if (this.heldBytes > this.limitBytes && !this.spillBroken) this.spill();
  }

  /** The oldest text not taken yet, at most `limitBytes` of it (whole characters); '' when nothing waits. */
  take(): string {
    if (this.file !== null && this.taken < this.written) {
      const text = this.readBack(this.file.fd);
      if (text !== '') return text;
    }
    const text = this.held.join('');
    this.held = [];
    this.heldBytes = 0;
    return text;
  }

  /** Lets go of the file; text not taken is dropped. */
  close(): void {
    this.held = [];
    this.heldBytes = 0;
    if (this.file === null) return;
    const { fd, dir } = this.file;
    this.file = null;
    this.written = this.taken = 0;
    try {
      closeSync(fd);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private spill(): void {
    const bytes = Buffer.from(this.held.join(''), 'utf8');
    try {
      const fd = this.openFile();
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at, this.written + at);
    } catch {
      // Keep the text in memory; a partly written tail is overwritten by the next write (positions are explicit).
      this.spillBroken = true;
      return;
    }
    this.written += bytes.length;
    this.held = [];
    this.heldBytes = 0;
  }

  private openFile(): number {
    if (this.file !== null) return this.file.fd;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ritual-output-'));
    const file = path.join(dir, 'spool.txt');
    const fd = openSync(file, 'w+');
    this.file = { fd, dir };
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Windows keeps an open file's name: close() removes it.
    }
    return fd;
  }

  private readBack(fd: number): string {
    const buffer = Buffer.allocUnsafe(Math.min(this.limitBytes, this.written - this.taken));
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, this.taken + filled);
      if (n === 0) break;
      filled += n;
    }
    // A character cut at the end of the piece is left for the next one.
    const whole = filled === 0 ? 0 : wholeCharactersLength(buffer, filled);
    this.taken = whole === 0 ? this.written : this.taken + whole; // nothing readable: the file is shorter than written
    if (this.taken >= this.written) {
      // Read to the end: empty the file, so the disk holds only the backlog.
      this.written = this.taken = 0;
      try {
        ftruncateSync(fd, 0);
      } catch {
        // Later spills overwrite from offset 0 anyway.
      }
    }
    return buffer.toString('utf8', 0, whole);
  }
}

/** How many of the first `length` bytes of UTF-8 `bytes` form whole characters (the rest is a cut-off character). */
export function wholeCharactersLength(bytes: Uint8Array, length: number): number {
  // A character is at most 4 bytes: look back at most 3 for the lead byte of the last one.
  for (let at = length - 1; at >= Math.max(0, length - 3); at--) {
    const byte = bytes[at]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte
    const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return at + size <= length ? length : at;
  }
  return length; // not UTF-8 this close to the end: nothing to hold back
}
