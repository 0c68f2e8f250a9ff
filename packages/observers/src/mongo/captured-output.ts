/**
 * Keeps `captured_out` in the runs document bounded (Sacred issue 786: a run
 * whose output passed 16 MB stopped logging). The document holds the tail of
 * the output; whenever the tail grows past two segments, its oldest segment
 * moves to a GridFS file named `captured_out://<runs collection>/<id>/<n>`
 * and its id is appended to the run's `captured_out_overflow` list.
 * The whole output is: the overflow files in list order, then `captured_out`.
 *
 * The test server does not support update pipelines ($concat), so each beat
 * `$set`s the bounded tail; that is idempotent, and costs at most two segments.
 */
export interface OutputSpill {
  index: number;
  text: string;
}

export class CapturedOutput {
  private tail = '';
  private spilled = 0;

  constructor(private readonly segmentChars: number) {}

  /** Appends new output; returns the segments that must move to GridFS now. */
  append(delta: string): OutputSpill[] {
    this.tail += delta;
    const spills: OutputSpill[] = [];
    while (this.tail.length > 2 * this.segmentChars) {
      spills.push({ index: this.spilled, text: this.tail.slice(0, this.segmentChars) });
      this.tail = this.tail.slice(this.segmentChars);
      this.spilled += 1;
    }
    return spills;
  }

  get inline(): string {
    return this.tail;
  }

  get spilledCount(): number {
    return this.spilled;
  }
}
