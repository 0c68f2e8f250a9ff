import { BYTES_PER_MB, type SystemProbe, type SystemReading } from './system-probe.js';

/**
 * This process, from Node itself (no package, microseconds per sample):
 * resident memory, V8 heap in use, and CPU time over the last interval as a
 * percentage of one core (every thread, so above 100 when tfjs or libuv
 * threads work in parallel). Children's CPU is not counted: Node only learns
 * it for children it has waited for, which would report a child's whole life
 * in the interval it ended.
 */
export function processProbe(): SystemProbe {
  let lastCpu = process.cpuUsage();
  let lastTime = process.hrtime.bigint();
  return {
    name: 'process',
    sample(): SystemReading {
      const now = process.hrtime.bigint();
      const cpu = process.cpuUsage(lastCpu);
      const elapsedUs = Number(now - lastTime) / 1000;
      lastCpu = process.cpuUsage();
      lastTime = now;
      const memory = process.memoryUsage();
      return {
        'system.process_rss_mb': memory.rss / BYTES_PER_MB,
        'system.process_heap_mb': memory.heapUsed / BYTES_PER_MB,
        ...(elapsedUs > 0 ? { 'system.process_cpu_percent': ((cpu.user + cpu.system) / elapsedUs) * 100 } : {}),
      };
    },
  };
}
