/**
 * Calls `beat` every `intervalMs`, never two at once: a slow observer delays
 * the next beat instead of piling beats up. The timer is unref'd so that it
 * never keeps a finished process alive.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly beat: () => Promise<void>,
  ) {}

  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inFlight = this.beat().finally(() => {
        this.inFlight = null;
        this.schedule();
      });
    }, this.intervalMs);
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
