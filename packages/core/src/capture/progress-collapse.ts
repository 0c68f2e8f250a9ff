/**
 * Collapses terminal redraws to what the screen finally shows, so stored
 * output keeps the last state of a progress bar instead of every frame
 * (Sacred issues 440 and 729): `\r` returns to the line start and later text
 * overwrites, `\b` steps back one cell, `ESC[K` erases to the end of the line
 * (`ESC[1K` to its start, `ESC[2K` all of it), `ESC[nG` / `ESC[nC` / `ESC[nD`
 * move the cursor. Other escape sequences (colours) are kept, each as one cell.
 *
 * Stored output is append-only (cout.txt, MongoDB `captured_out`), so only
 * finished lines are emitted; the line being drawn is held back until its
 * `\n` arrives, which also makes the collapse work across drain boundaries
 * and across chunks split in the middle of an escape sequence. `flush()` emits
 * the unfinished line at the end of a run.
 */

/** A line that never ends is emitted anyway past this many cells, to bound memory. */
const MAX_PENDING_CELLS = 1 << 20;
// Largest piece of a write handled at once.
const MAX_SLICE = 1 << 16;
// Longest escape sequence held back while waiting for the rest of it.
const MAX_ESCAPE_LENGTH = 32;
const SPECIAL = /[\r\b\x1b]/;

export class ProgressCollapser {
  private cells: string[] = [];
  private cursor = 0;
  // The line being drawn while it is plain text (then `cells` is empty and `cursor` 0).
  private plain = '';
  // The start of an escape sequence cut off at the end of the previous chunk.
  private carry = '';

  /** Feed output; returns the text of the lines it finished (each ending in `\n`). */
  push(chunk: string): string {
    if (chunk.length <= MAX_SLICE) return this.pushSlice(chunk);
    // A huge write (a 20 MB line) is taken in slices, so that the pending line
    // is emitted once it passes MAX_PENDING_CELLS instead of after the whole
    // chunk was split into cells.
    let out = '';
    for (let start = 0; start < chunk.length; ) {
      let end = Math.min(chunk.length, start + MAX_SLICE);
      // never cut a surrogate pair in two
      if (end < chunk.length && /[\uD800-\uDBFF]/.test(chunk[end - 1]!)) end--;
      out += this.pushSlice(chunk.slice(start, end));
      start = end;
    }
    return out;
  }

  private pushSlice(chunk: string): string {
    let text = this.carry + chunk;
    this.carry = '';
    let out = '';
    // Fast path for plain text: while the line being drawn has had no redraw, it is kept as one string (a 64 MiB
    // line costs string appends, not a cell per character); the first `\r`, `\b` or escape turns it into cells.
    if (this.cells.length === 0 && this.cursor === 0) {
      const special = text.search(SPECIAL);
      const plain = special < 0 ? text : text.slice(0, special);
      const lastNewline = plain.lastIndexOf('\n');
      if (lastNewline < 0) {
        this.plain += plain;
      } else {
        out = this.plain + plain.slice(0, lastNewline + 1);
        this.plain = plain.slice(lastNewline + 1);
      }
      if (this.plain.length > MAX_PENDING_CELLS) {
        out += this.plain;
        this.plain = '';
      }
      if (special < 0) return out;
      this.cells = Array.from(this.plain);
      this.cursor = this.cells.length;
      this.plain = '';
      text = text.slice(special);
    }
    const chars = Array.from(text); // code points, so surrogate pairs stay whole
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      if (ch === '\n') {
        out += `${this.cells.join('')}\n`;
        this.cells = [];
        this.cursor = 0;
      } else if (ch === '\r') {
        this.cursor = 0;
      } else if (ch === '\b') {
        this.cursor = Math.max(0, this.cursor - 1);
      } else if (ch === '\x1b') {
        const consumed = this.escape(chars, i);
        if (consumed === 0) {
          this.carry = chars.slice(i).join('');
          break;
        }
        i += consumed - 1;
      } else {
        this.put(ch);
      }
    }
    if (this.cells.length > MAX_PENDING_CELLS) out += this.flush();
    return out;
  }

  /** The unfinished line, if any (without a trailing `\n`), and a fresh state. */
  flush(): string {
    const rest = this.plain + this.cells.join('') + this.carry;
    this.plain = '';
    this.cells = [];
    this.cursor = 0;
    this.carry = '';
    return rest;
  }

  private put(cell: string): void {
    while (this.cells.length < this.cursor) this.cells.push(' ');
    this.cells[this.cursor] = cell;
    this.cursor++;
  }

  /** Applies the escape sequence at chars[i]; returns how many code points it used, 0 if it is cut off. */
  private escape(chars: string[], i: number): number {
    if (i + 1 >= chars.length) return 0;
    if (chars[i + 1] !== '[') {
      this.put(chars[i]! + chars[i + 1]!);
      return 2;
    }
    let end = i + 2;
    while (end < chars.length && /[0-9;?]/.test(chars[end]!)) end++;
    if (end >= chars.length) {
      if (end - i > MAX_ESCAPE_LENGTH) {
        this.put(chars.slice(i, end).join(''));
        return end - i;
      }
      return 0;
    }
    const params = chars.slice(i + 2, end).join('');
    const final = chars[end]!;
    const n = Number.parseInt(params, 10);
    if (final === 'K') {
      if (Number.isNaN(n) || n === 0) this.cells.length = Math.min(this.cells.length, this.cursor);
      else if (n === 1) for (let k = 0; k < Math.min(this.cursor + 1, this.cells.length); k++) this.cells[k] = ' ';
      else if (n === 2) this.cells = [];
    } else if (final === 'G') {
      this.cursor = Math.max(0, (Number.isNaN(n) ? 1 : n) - 1);
    } else if (final === 'C') {
      this.cursor += Number.isNaN(n) ? 1 : n;
    } else if (final === 'D') {
      this.cursor = Math.max(0, this.cursor - (Number.isNaN(n) ? 1 : n));
    } else {
      this.put(chars.slice(i, end + 1).join(''));
    }
    return end - i + 1;
  }
}
