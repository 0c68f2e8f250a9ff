/** Values of one probe, by full metric name (`system.cpu_percent`); a value the platform did not report is left out. */
export type SystemReading = Readonly<Record<string, number>>;

/**
 * One source of system metrics. A probe that throws (unsupported platform,
 * missing tool) is dropped for the rest of the run: the sampler logs one
 * debug line and never raises.
 */
export interface SystemProbe {
  /** Named in the debug line when the probe is dropped. */
  readonly name: string;
  /**
   * Called once, shortly after main starts: loads what the probe needs and
   * takes the first counters, so that the first sample already has rates
   * (disk and network MB/s, machine CPU) over an interval.
   */
  prime?(): Promise<void>;
  sample(): SystemReading | Promise<SystemReading>;
}

/** Bytes to the `_mb` unit of every system metric (MiB, as nvidia-smi reports GPU memory). */
export const BYTES_PER_MB = 1024 * 1024;
