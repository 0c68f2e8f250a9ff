import { procDiskstatsProbe } from './proc-diskstats.js';
import { procMeminfoProbe } from './proc-meminfo.js';
import { procNetDevProbe } from './proc-net-dev.js';
import { procStatProbe } from './proc-stat.js';
import type { SystemProbe } from './system-probe.js';
import { systeminformationProbes } from './systeminformation-probes.js';

/**
 * Whole-machine CPU, memory, disk and network. On Linux straight from /proc:
 * file reads, no child process, so the cost stays flat however much memory
 * the training holds (~0.5 ms of CPU per sample for all four against ~58 ms
 * through systeminformation with 512 MB held, bench/system-sampling.ts), and
 * systeminformation is never loaded. Elsewhere systeminformation, the same
 * metric names and meanings.
 */
export function machineProbes(platform: NodeJS.Platform = process.platform): SystemProbe[] {
  if (platform === 'linux') return [procStatProbe(), procMeminfoProbe(), procDiskstatsProbe(), procNetDevProbe()];
  return systeminformationProbes();
}
