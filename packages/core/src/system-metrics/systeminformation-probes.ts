import { systeminformation } from './systeminformation-module.js';
import { BYTES_PER_MB, type SystemProbe } from './system-probe.js';

/** A platform where systeminformation returns nothing for a probe (it returns empty results rather than throwing). */
class UnreportedProbeError extends Error {}

/**
 * Whole-machine CPU, memory, disk and network through systeminformation, on
 * platforms without /proc (macOS, Windows, the BSDs). Not on Linux: there it
 * starts child processes at every sample (`cat /proc/stat | grep cpu`,
 * `lsblk`, `cat /proc/diskstats`, `ip route`, `cat` of /sys files), and each
 * fork copies the page tables of this process's heap: ~12 ms of CPU per
 * sample in a bare process, ~58 ms while 512 MB are held
 * (bench/system-sampling.ts). CPU, disk and network are rates between two
 * calls, so each is primed once before its first sample.
 */
export function systeminformationProbes(): SystemProbe[] {
  return [
    {
      name: 'cpu (systeminformation.currentLoad)',
      prime: async () => void (await (await systeminformation()).currentLoad()),
      sample: async () => {
        const load = await (await systeminformation()).currentLoad();
        return finiteValues({ 'system.cpu_percent': load.currentLoad });
      },
    },
    {
      name: 'memory (systeminformation.mem)',
      prime: async () => void (await systeminformation()),
      sample: async () => {
        const memory = await (await systeminformation()).mem();
        if (!(memory.total > 0)) throw new UnreportedProbeError('no memory total reported');
        // `available` (not `free`): page cache the kernel gives back on demand is not memory in use.
        return finiteValues({ 'system.memory_percent': ((memory.total - memory.available) / memory.total) * 100 });
      },
    },
    {
      name: 'disk (systeminformation.fsStats)',
      prime: async () => void (await (await systeminformation()).fsStats()),
      sample: async () => {
        const stats = await (await systeminformation()).fsStats();
        if (stats === null || stats === undefined) throw new UnreportedProbeError('no disk counters on this platform');
        // Rates are null when the previous call was under 0.5 s ago (systeminformation's own window).
        return finiteValues({
          'system.disk_read_mb_s': megabytes(stats.rx_sec),
          'system.disk_write_mb_s': megabytes(stats.wx_sec),
        });
      },
    },
    {
      name: 'network (systeminformation.networkStats)',
      prime: async () => void (await (await systeminformation()).networkStats()),
      sample: async () => {
        // The default interface: summing every interface would count bridged traffic (docker, VPN) twice.
        const [stats] = await (await systeminformation()).networkStats();
        if (stats === undefined) throw new UnreportedProbeError('no network interface reported');
        return finiteValues({
          'system.net_rx_mb_s': megabytes(stats.rx_sec),
          'system.net_tx_mb_s': megabytes(stats.tx_sec),
        });
      },
    },
  ];
}

function megabytes(bytes: number | null | undefined): number | null {
  return typeof bytes === 'number' ? bytes / BYTES_PER_MB : null;
}

function finiteValues(values: Record<string, number | null | undefined>): Record<string, number> {
  const kept: Record<string, number> = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'number' && Number.isFinite(value)) kept[name] = value;
  }
  return kept;
}
