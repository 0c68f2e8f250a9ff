import { networkInterfaces } from 'node:os';

/**
 * The interface of the IPv4 default route in /proc/net/route (what `ip route
 * | grep default` shows, which systeminformation runs): destination and mask
 * 00000000, flag RTF_UP; the lowest metric when there are several, as the
 * kernel picks.
 */
export function parseDefaultRoute(text: string): string | undefined {
  let best: { iface: string; metric: number } | undefined;
  for (const line of text.split('\n').slice(1)) {
    const [iface, destination, , flags, , , metric, mask] = line.trim().split(/\s+/);
    if (iface === undefined || destination !== '00000000' || mask !== '00000000') continue;
    const RTF_UP = 0x1;
    if ((Number.parseInt(flags ?? '0', 16) & RTF_UP) === 0) continue;
    const rank = Number(metric);
    if (best === undefined || rank < best.metric) best = { iface, metric: rank };
  }
  return best?.iface;
}

/**
 * Without an IPv4 default route (IPv6 only, or offline), systeminformation's
 * own fallback: the external interface with the lowest IPv6 scope id, else
 * the first external one.
 */
export function firstExternalInterface(interfaces = networkInterfaces()): string | undefined {
  let first: string | undefined;
  let best: { iface: string; scopeid: number } | undefined;
  for (const [iface, addresses] of Object.entries(interfaces)) {
    for (const address of addresses ?? []) {
      if (address.internal) continue;
      first ??= iface;
      const scopeid = address.family === 'IPv6' ? address.scopeid : undefined;
      if (scopeid && (best === undefined || scopeid < best.scopeid)) best = { iface, scopeid };
    }
  }
  return best?.iface ?? first;
}
