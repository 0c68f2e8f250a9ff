/**
 * Cost of system metrics (issue 16), two figures measured in one run:
 * - CPU time of this process per sample of every default probe (process,
 *   machine CPU/memory/disk/network through systeminformation, nvidia-smi
 *   where present), after priming, with the one-off load of systeminformation
 *   reported apart;
 * - the MNIST training overhead (training-overhead.ts: ritual run vs bare
 *   training, same seed, alternating pairs) with a sample every second.
 *   Target: <= 1.02x.
 *
 *   node --conditions=@ritual/source --import tsx bench/system-sampling.ts [samples] [pairs]
 */
import { pathToFileURL } from 'node:url';
import { defaultSystemProbes } from '../packages/core/src/system-metrics/system-sampler.js';
import { systeminformation } from '../packages/core/src/system-metrics/systeminformation-module.js';
import type { SystemProbe } from '../packages/core/src/system-metrics/system-probe.js';
import type { BenchResult } from './report.js';
import { median } from './statistics.js';
import { formatTrainingBench, runTrainingBench } from './training-overhead.js';

export interface SamplingCost {
  /** One-off: importing systeminformation (first sample of a run that lasts past the priming delay). */
  loadCpuMs: number;
  loadWallMs: number;
  /** Per sample of every probe that works here, medians over `samples`. */
  sampleCpuMs: number;
  sampleWallMs: number;
  /** Probes that failed here (dropped by the sampler too). */
  skipped: string[];
  samples: number;
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

export async function measureSamplingCost(samples = 50, gapMs = 200): Promise<SamplingCost> {
  let cpu = process.cpuUsage();
  let t0 = performance.now();
  await systeminformation();
  const loadCpuMs = cpuMs(cpu);
  const loadWallMs = performance.now() - t0;
  const working: SystemProbe[] = [];
  const skipped: string[] = [];
  for (const probe of defaultSystemProbes()) {
    try {
      await probe.prime?.();
      await probe.sample();
      working.push(probe);
    } catch {
      skipped.push(probe.name);
    }
  }
  const cpuPerSample: number[] = [];
  const wallPerSample: number[] = [];
  for (let i = 0; i < samples; i++) {
    // Rates (CPU, disk, network) need time between two readings, as between two ticks.
    await new Promise((resolve) => setTimeout(resolve, gapMs));
    cpu = process.cpuUsage();
    t0 = performance.now();
    await Promise.all(working.map((probe) => probe.sample()));
    cpuPerSample.push(cpuMs(cpu));
    wallPerSample.push(performance.now() - t0);
  }
  return {
    loadCpuMs,
    loadWallMs,
    sampleCpuMs: median(cpuPerSample),
    sampleWallMs: median(wallPerSample),
    skipped,
    samples,
  };
}

export async function runSystemSamplingBench(options: {
  samples: number;
  pairs: number;
  smoke?: boolean;
}): Promise<BenchResult> {
  const cost = await measureSamplingCost(options.samples);
  const training = await runTrainingBench({
    repeats: options.pairs,
    systemInterval: 1,
    ...(options.smoke ? { training: { epochs: 1, trainSize: 500, testSize: 100 } } : {}),
  });
  const note = `${cost.samples} samples; skipped here: ${cost.skipped.join(', ') || 'none'}`;
  return {
    figures: [
      {
        benchmark: 'system-sampling',
        name: 'CPU time per sample (ms)',
        unit: 'ms',
        ours: cost.sampleCpuMs,
        peer: null,
        target: 'context',
        pass: null,
        note: `${note}; wall ${cost.sampleWallMs.toFixed(1)} ms (child processes included)`,
      },
      {
        benchmark: 'system-sampling',
        name: 'load of systeminformation, once per process (ms CPU)',
        unit: 'ms',
        ours: cost.loadCpuMs,
        peer: null,
        target: 'context',
        pass: null,
        note: `wall ${cost.loadWallMs.toFixed(0)} ms`,
      },
      {
        benchmark: 'system-sampling',
        name: 'MNIST training ratio, sampling every 1 s',
        unit: 'x',
        ours: training.ratio,
        peer: null,
        target: '<= 1.02',
        pass: training.ratio <= 1.02,
        note:
          `${options.pairs} pairs; cpu ratio ${training.cpuRatio.toFixed(3)}` +
          (training.netRatio !== null ? `, net ratio ${training.netRatio.toFixed(3)}` : ''),
      },
    ],
    details: { cost, training },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const samples = process.argv[2] ? Number(process.argv[2]) : 50;
  const pairs = process.argv[3] ? Number(process.argv[3]) : 6;
  const cost = await measureSamplingCost(samples);
  console.log(
    `system sampling: load ${cost.loadCpuMs.toFixed(1)} ms CPU / ${cost.loadWallMs.toFixed(0)} ms wall once; ` +
      `per sample ${cost.sampleCpuMs.toFixed(2)} ms CPU, ${cost.sampleWallMs.toFixed(1)} ms wall (median of ${samples}); ` +
      `skipped: ${cost.skipped.join(', ') || 'none'}`,
  );
  if (pairs > 0) {
    const training = await runTrainingBench({ repeats: pairs, systemInterval: 1 });
    console.log(`with a system sample every 1 s:\n${formatTrainingBench(training)}`);
  }
}
