/**
 * Calls `beat` every `intervalMs`, never two at once. Beats are due at a
 * fixed rate, counted from the start of the previous one, so the points a
 * beat hands over are what one interval produced, not one interval plus the
 * time the previous flush took (with a fixed delay, a flush that takes 0.7 s
 * for a million points makes the next beat carry 1.7 s of points, which take
 * longer still: a fast loop converges on several intervals per beat, and
 * memory with it). A slow observer still delays the next beat instead of
 * piling beats up: a late beat waits a quarter interval after the previous
 * one ended. The timer is unref'd so that it never keeps a finished process
 * alive.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly beat: () => Promise<void>,
    /** Milliseconds on a monotonic clock (tests pass a fake one). */
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(): void {
    this.schedule(this.intervalMs);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const started = this.now();
      this.inFlight = this.beat().finally(() => {
        this.inFlight = null;
        const elapsed = this.now() - started;
        this.schedule(Math.max(this.intervalMs - elapsed, this.intervalMs / 4));
      });
    }, delayMs);
    this.timer.unref();
  }

  /** Stop beating; resolves once a beat in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight) await this.inFlight.catch(() => undefined);
  }
}
