import { readProcFile, type ReadText } from './proc-file.js';
import type { SystemProbe, SystemReading } from './system-probe.js';

/** Clock ticks of the whole machine since boot, summed over every CPU. */
export interface CpuTicks {
  busy: number;
  /** busy + idle. */
  total: number;
}

/**
 * The aggregate `cpu` line of /proc/stat (man 5 proc): user nice system idle
 * iowait irq softirq steal guest guest_nice, in clock ticks. Counted as
 * systeminformation's `currentLoad` counts them, so that `system.cpu_percent`
 * means the same on every platform: busy = user + nice + system + irq + steal
 * + guest, against busy + idle; iowait and softirq are in neither (Node's
 * os.cpus(), which systeminformation builds on, leaves them out).
 */
export function parseProcStat(text: string): CpuTicks {
  const line = text.split('\n').find((candidate) => /^cpu\s/.test(candidate));
  if (line === undefined) throw new Error('/proc/stat has no aggregate "cpu" line');
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 4 || fields.some((field) => !Number.isFinite(field))) {
    throw new Error(`unexpected /proc/stat line ${JSON.stringify(line)}`);
  }
  const [user = 0, nice = 0, system = 0, idle = 0, , irq = 0, , steal = 0, guest = 0] = fields;
  const busy = user + nice + system + irq + steal + guest;
  return { busy, total: busy + idle };
}

/** Whole-machine CPU use (0-100) between two samples, from /proc/stat. */
export function procStatProbe(read: ReadText = readProcFile): SystemProbe {
  let last: CpuTicks | undefined;
  const sample = async (): Promise<SystemReading> => {
    const now = parseProcStat(await read('/proc/stat'));
    const previous = last;
    last = now;
    const elapsed = previous === undefined ? 0 : now.total - previous.total;
    // No tick elapsed (two samples within one jiffy): no value rather than 0 %.
    if (previous === undefined || !(elapsed > 0)) return {};
    return { 'system.cpu_percent': ((now.busy - previous.busy) / elapsed) * 100 };
  };
  return { name: 'cpu (/proc/stat)', prime: async () => void (await sample()), sample };
}
