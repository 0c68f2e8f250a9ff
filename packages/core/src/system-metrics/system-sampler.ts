import type { SystemProbe, SystemReading } from './system-probe.js';
import { SystemSummary } from './system-summary.js';
import { machineProbes } from './machine-probes.js';
import { nvidiaSmiProbe } from './nvidia-smi-probe.js';
import { processProbe } from './process-probe.js';
import type { JsonObject } from '../run/run-record.js';

export interface SystemSamplerOptions {
  /** Seconds between samples (> 0). */
  intervalSeconds: number;
  /** Stores one point: the run's metric path, as `run.logScalar` (step = the sample's tick). */
  record: (name: string, value: number, step: number) => void;
  /** The summary so far, after each sample (the run keeps it in `info.system`). */
  summarize: (summary: JsonObject) => void;
  /** One line per dropped probe. */
  debug: (message: string) => void;
  /** Default: this process, machine CPU/memory/disk/network, NVIDIA GPUs. */
  probes?: readonly SystemProbe[];
}

export function defaultSystemProbes(): SystemProbe[] {
  return [processProbe(), ...machineProbes(), nvidiaSmiProbe()];
}

/** Priming waits this long at most, so that a run shorter than it never loads systeminformation (off Linux). */
const MAX_PRIME_DELAY_MS = 1000;

interface ProbeState {
  probe: SystemProbe;
  /** A prime or sample still running: the next tick skips this probe rather than stacking calls. */
  busy: boolean;
  dropped: boolean;
}

/**
 * Samples the machine while main works. Tick k is due k intervals after
 * start (a fixed rate, so points stay on a regular grid); a tick that a
 * blocked event loop made late is not followed by a burst of catch-up ticks.
 * Every timer is unref'd and nothing is awaited on stop, so the sampler never
 * holds up the end of a run or of the process. It must be started outside
 * main's async context (the run uses runUnseeded), so that nothing it calls
 * draws from the run's seeded Math.random.
 */
export class SystemSampler {
  private readonly intervalMs: number;
  private readonly states: ProbeState[];
  private readonly summary: SystemSummary;
  private timers = new Set<NodeJS.Timeout>();
  private startedAt = 0;
  private stopped = false;

  constructor(private readonly options: SystemSamplerOptions) {
    this.intervalMs = options.intervalSeconds * 1000;
    this.states = (options.probes ?? defaultSystemProbes()).map((probe) => ({ probe, busy: false, dropped: false }));
    this.summary = new SystemSummary(options.intervalSeconds);
  }

  start(): void {
    this.startedAt = performance.now();
    // Early in the first interval: off Linux priming takes ~0.7 s of wall time (loading systeminformation, whose
    // first CPU reading waits 0.5 s for a baseline), and a probe still priming misses the first tick.
    this.after(Math.min(this.intervalMs / 4, MAX_PRIME_DELAY_MS), () => this.prime());
    this.scheduleTick(1);
  }

  /** Stops sampling; a probe still running is left to finish and its values are discarded. Returns the summary. */
  stop(): JsonObject {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    return this.summary.toJson();
  }

  private after(delayMs: number, fn: () => void): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (!this.stopped) fn();
      },
      Math.max(0, delayMs),
    );
    timer.unref();
    this.timers.add(timer);
  }

  private scheduleTick(tick: number): void {
    this.after(this.startedAt + tick * this.intervalMs - performance.now(), () => {
      this.sample(tick);
      // The next tick still in the future: a late tick skips the ones it overran.
      const elapsedTicks = Math.floor((performance.now() - this.startedAt) / this.intervalMs);
      this.scheduleTick(Math.max(tick, elapsedTicks) + 1);
    });
  }

  private prime(): void {
    for (const state of this.states) {
      if (!state.probe.prime) continue;
      const prime = state.probe.prime.bind(state.probe);
      void this.guard(state, prime);
    }
  }

  /**
   * Each probe's values are stored as soon as it answers, under the tick it was
   * called for: a slow probe delays only its own points, and since each probe has
   * at most one call in flight its series stays in step order.
   */
  private sample(tick: number): void {
    this.summary.countTick();
    for (const state of this.states) {
      void this.guard(state, () => state.probe.sample()).then((reading) => {
        if (reading && !this.stopped) this.store(reading, tick);
      });
    }
  }

  private store(reading: SystemReading, tick: number): void {
    const entries = Object.entries(reading);
    if (entries.length === 0) return;
    for (const [name, value] of entries) this.options.record(name, value, tick);
    this.summary.add(reading);
    this.options.summarize(this.summary.toJson());
  }

  /** Runs one probe call unless the probe is dropped or still busy; a throw drops it for good. */
  private async guard<T>(state: ProbeState, call: () => T | Promise<T>): Promise<T | undefined> {
    if (state.dropped || state.busy) return undefined;
    state.busy = true;
    try {
      return await call();
    } catch (error) {
      state.dropped = true;
      const probe = state.probe.name;
      this.options.debug(`System metrics: ${probe} is not available here; skipped for this run (${describe(error)}).`);
      return undefined;
    } finally {
      state.busy = false;
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

export type { SystemProbe, SystemReading };
