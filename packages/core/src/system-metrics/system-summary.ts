import type { JsonObject } from '../run/run-record.js';

/** Mean and peak of one metric over a run. */
class Extent {
  count = 0;
  sum = 0;
  peak = -Infinity;

  add(value: number): void {
    this.count++;
    this.sum += value;
    if (value > this.peak) this.peak = value;
  }
}

const GPU_MEMORY = /^system\.gpu\.\d+\.memory_used_mb$/;

/**
 * What a run did to the machine, in a few numbers: `info.system`, which
 * `ritual show` prints in its host section. Kept up to date at every sample,
 * so a run that dies still has it from its last heartbeat.
 */
export class SystemSummary {
  private samples = 0;
  private readonly cpu = new Extent();
  private readonly processCpu = new Extent();
  private readonly memory = new Extent();
  private readonly rss = new Extent();
  private readonly gpuMemory = new Extent();

  constructor(private readonly intervalSeconds: number) {}

  /** One more tick of the sampler (its probes answer apart, through `add`). */
  countTick(): void {
    this.samples++;
  }

  /** One probe's values, by metric name. */
  add(values: Readonly<Record<string, number>>): void {
    for (const [name, value] of Object.entries(values)) {
      if (name === 'system.cpu_percent') this.cpu.add(value);
      else if (name === 'system.process_cpu_percent') this.processCpu.add(value);
      else if (name === 'system.memory_percent') this.memory.add(value);
      else if (name === 'system.process_rss_mb') this.rss.add(value);
      else if (GPU_MEMORY.test(name)) this.gpuMemory.add(value);
    }
  }

  /** Only what was measured: a machine without a GPU has no GPU entry. */
  toJson(): JsonObject {
    const summary: JsonObject = { interval_s: this.intervalSeconds, samples: this.samples };
    if (this.rss.count > 0) summary.peak_rss_mb = round(this.rss.peak);
    if (this.cpu.count > 0) {
      summary.cpu_percent_mean = round(this.cpu.sum / this.cpu.count);
      summary.cpu_percent_peak = round(this.cpu.peak);
    }
    if (this.processCpu.count > 0) {
      summary.process_cpu_percent_mean = round(this.processCpu.sum / this.processCpu.count);
      summary.process_cpu_percent_peak = round(this.processCpu.peak);
    }
    if (this.memory.count > 0) summary.memory_percent_peak = round(this.memory.peak);
    if (this.gpuMemory.count > 0) summary.gpu_memory_used_mb_peak = round(this.gpuMemory.peak);
    return summary;
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
