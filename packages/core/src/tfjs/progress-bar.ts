/**
 * A one-line training progress bar for terminals, redrawn in place with `\r`:
 *
 *   epoch 2/5 [########------------]  94/235  ETA 3.0s  loss 0.2345
 *
 * Each epoch ends with its final line and a newline, so a terminal keeps one
 * line per epoch, and ritual's output capture (which collapses `\r` redraws
 * to their last state) stores exactly those lines. Redraws are throttled so
 * the bar costs nothing measurable even at thousands of batches a second.
 */
import { formatDuration } from '../duration.js';

/** Where the bar is drawn; `process.stdout` by default. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const BAR_WIDTH = 20;
const REDRAW_EVERY_MS = 100;

export class ProgressBar {
  private epochStart = 0;
  private lastDraw = 0;
  /** Length of the line on screen, to blank leftovers of a longer earlier draw. */
  private drawnLength = 0;
  private open = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly now: () => number = () => performance.now(),
  ) {}

  startEpoch(): void {
    this.epochStart = this.now();
    this.lastDraw = 0;
  }

  /** Whether `batch` would redraw now: callers that must read the loss from a tensor ask first. */
  due(done: number, total: number | undefined): boolean {
    return !this.open || done === total || this.now() - this.lastDraw >= REDRAW_EVERY_MS;
  }

  /** After a batch; `total` is the batch count of the epoch when known. */
  batch(
    epoch: number,
    epochs: number | undefined,
    done: number,
    total: number | undefined,
    loss: number | undefined,
  ): void {
    if (!this.due(done, total)) return;
    const t = this.now();
    this.lastDraw = t;
    const elapsed = t - this.epochStart;
    const eta = total !== undefined && done > 0 ? ((total - done) * elapsed) / done : undefined;
    const parts = [
      epochLabel(epoch, epochs),
      bar(done, total),
      total !== undefined ? `${pad(done, total)}/${total}` : `${done}`,
    ];
    parts.push(eta !== undefined ? `ETA ${formatDuration(eta)}` : 'ETA ?');
    if (loss !== undefined) parts.push(`loss ${formatValue(loss)}`);
    this.draw(parts.join('  '));
  }

  /** Final line of an epoch: every metric, the epoch's duration, then a newline. */
  endEpoch(epoch: number, epochs: number | undefined, batches: number, metrics: ReadonlyArray<[string, number]>): void {
    const parts = [
      epochLabel(epoch, epochs),
      bar(1, 1),
      `${batches}/${batches}`,
      formatDuration(this.now() - this.epochStart),
    ];
    for (const [name, value] of metrics) parts.push(`${name} ${formatValue(value)}`);
    this.draw(parts.join('  '));
    this.stream.write('\n');
    this.open = false;
    this.drawnLength = 0;
  }

  /** Ends a line left open (training stopped mid-epoch) so later output starts clean. */
  finish(): void {
    if (!this.open) return;
    this.stream.write('\n');
    this.open = false;
    this.drawnLength = 0;
  }

  private draw(line: string): void {
    const columns = this.stream.columns;
    const text = columns !== undefined && columns > 1 && line.length >= columns ? line.slice(0, columns - 1) : line;
    const blank = this.drawnLength > text.length ? ' '.repeat(this.drawnLength - text.length) : '';
    this.stream.write(`\r${text}${blank}`);
    this.drawnLength = text.length;
    this.open = true;
  }
}

function epochLabel(epoch: number, epochs: number | undefined): string {
  return epochs !== undefined ? `epoch ${epoch + 1}/${epochs}` : `epoch ${epoch + 1}`;
}

function bar(done: number, total: number | undefined): string {
  if (total === undefined || total <= 0) return '';
  const filled = Math.min(BAR_WIDTH, Math.round((done / total) * BAR_WIDTH));
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}

function pad(done: number, total: number): string {
  return String(done).padStart(String(total).length, ' ');
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}
