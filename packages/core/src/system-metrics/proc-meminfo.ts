import { readProcFile, type ReadText } from './proc-file.js';
import type { SystemProbe, SystemReading } from './system-probe.js';

/** What /proc/meminfo says about memory in use, in bytes. */
export interface MemoryInUse {
  total: number;
  available: number;
}

/**
 * MemTotal and MemAvailable of /proc/meminfo (kB). `available`, not `free`:
 * page cache the kernel gives back on demand is not memory in use. Kernels
 * before 3.14 have no MemAvailable; there, as systeminformation does,
 * free + buffers + cached + slab.
 */
export function parseProcMeminfo(text: string): MemoryInUse {
  const kB = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+(?:\(\w+\))?):\s+(\d+)/.exec(line);
    if (match) kB.set(match[1]!, Number(match[2]));
  }
  const total = kB.get('MemTotal');
  if (!(total !== undefined && total > 0)) throw new Error('/proc/meminfo reports no MemTotal');
  const available =
    kB.get('MemAvailable') ??
    (kB.get('MemFree') ?? 0) + (kB.get('Buffers') ?? 0) + (kB.get('Cached') ?? 0) + (kB.get('Slab') ?? 0);
  return { total: total * 1024, available: available * 1024 };
}

/** Whole-machine memory in use (0-100), from /proc/meminfo. */
export function procMeminfoProbe(read: ReadText = readProcFile): SystemProbe {
  const sample = async (): Promise<SystemReading> => {
    const { total, available } = parseProcMeminfo(await read('/proc/meminfo'));
    return { 'system.memory_percent': ((total - available) / total) * 100 };
  };
  // Primed like the others, so that a machine without /proc/meminfo drops the probe before the first tick.
  return { name: 'memory (/proc/meminfo)', prime: async () => void (await sample()), sample };
}
