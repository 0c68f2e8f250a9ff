import { CounterRates } from './counter-rates.js';
import { readProcFile, type ReadText } from './proc-file.js';
import { firstExternalInterface, parseDefaultRoute } from './proc-net-route.js';
import { BYTES_PER_MB, type SystemProbe, type SystemReading } from './system-probe.js';

/** Bytes received and sent so far by one interface. */
export interface InterfaceBytes {
  rx: number;
  tx: number;
}

/**
 * /proc/net/dev: two header lines, then `iface: rx-bytes packets errs drop
 * fifo frame compressed multicast tx-bytes ...` (older kernels print no space
 * after the colon once the counter is wide).
 */
export function parseNetDev(text: string): Map<string, InterfaceBytes> {
  const interfaces = new Map<string, InterfaceBytes>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (fields.length < 9 || !Number.isFinite(fields[0]) || !Number.isFinite(fields[8])) continue;
    interfaces.set(line.slice(0, colon).trim(), { rx: fields[0]!, tx: fields[8]! });
  }
  return interfaces;
}

/**
 * Network MB/s received and sent between two samples on the default route's
 * interface: summing every interface would count bridged traffic (docker,
 * VPN) twice. The route is read every time, as systeminformation did, so a
 * switch of network starts a new baseline rather than a jump.
 * `read` and `now` (the clock of the rates) are replaced by tests.
 */
export function procNetDevProbe(
  read: ReadText = readProcFile,
  now: () => number = () => performance.now(),
): SystemProbe {
  const rates = new CounterRates();
  const counters = async (): Promise<{ iface: string | undefined; bytes: InterfaceBytes | undefined }> => {
    const [dev, route] = await Promise.all([read('/proc/net/dev'), read('/proc/net/route').catch(() => '')]);
    const iface = parseDefaultRoute(route) ?? firstExternalInterface();
    return { iface, bytes: iface === undefined ? undefined : parseNetDev(dev).get(iface) };
  };
  return {
    name: 'network (/proc/net/dev)',
    prime: async () => {
      const { iface, bytes } = await counters();
      if (bytes === undefined) {
        throw new Error(`no counters in /proc/net/dev for the default interface (${iface ?? 'none'})`);
      }
      rates.next([bytes.rx, bytes.tx], iface, now());
    },
    sample: async (): Promise<SystemReading> => {
      // An interface gone mid-run (Wi-Fi dropped) skips this sample, not the rest of the run.
      const { iface, bytes } = await counters();
      const perSecond = bytes === undefined ? null : rates.next([bytes.rx, bytes.tx], iface, now());
      if (perSecond === null) return {};
      return { 'system.net_rx_mb_s': perSecond[0]! / BYTES_PER_MB, 'system.net_tx_mb_s': perSecond[1]! / BYTES_PER_MB };
    },
  };
}
