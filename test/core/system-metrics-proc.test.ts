// The Linux /proc readers behind the machine system metrics (issue 16): each
// parser on kernel text, and each probe's value between two readings. Text
// marked "this machine" was read from /proc on the Linux 6.x VM the tests were
// written on (two readings one second apart, 8 MB written with O_DIRECT in
// between); other text is laid out as the kernel prints it (man 5 proc), for
// layouts that VM does not have (partitions, btrfs, several default routes).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { CounterRates } from '../../packages/core/src/system-metrics/counter-rates.js';
import { machineProbes } from '../../packages/core/src/system-metrics/machine-probes.js';
import {
  mountedDiskBytes,
  parseDiskstats,
  procDiskstatsProbe,
} from '../../packages/core/src/system-metrics/proc-diskstats.js';
import { parseProcMeminfo, procMeminfoProbe } from '../../packages/core/src/system-metrics/proc-meminfo.js';
import { parseMountinfo } from '../../packages/core/src/system-metrics/proc-mountinfo.js';
import { parseNetDev, procNetDevProbe } from '../../packages/core/src/system-metrics/proc-net-dev.js';
import { firstExternalInterface, parseDefaultRoute } from '../../packages/core/src/system-metrics/proc-net-route.js';
import { parseProcStat, procStatProbe } from '../../packages/core/src/system-metrics/proc-stat.js';

const MB = 1024 * 1024;

// This machine, /proc/stat: its aggregate line one second apart (the machine was busy: one idle tick), and the head
// of a later reading with its per-CPU lines.
const STAT_1 = 'cpu  644346 0 117390 43611 456 0 1382 1478 0 0\n';
const STAT_2 = 'cpu  644517 0 117426 43612 456 0 1382 1478 0 0\n';
const STAT_HEAD = `cpu  657438 0 120088 43978 467 0 1392 1536 0 0
cpu0 326525 0 60147 24451 119 0 400 781 0 0
cpu1 330913 0 59941 19527 347 0 992 755 0 0
`;

// This machine, /proc/meminfo (head).
const MEMINFO = `MemTotal:       24683664 kB
MemFree:        18536164 kB
MemAvailable:   23081160 kB
Buffers:           79716 kB
Cached:          4182192 kB
SwapCached:            0 kB
Active:          1339256 kB
Inactive:        3767124 kB
Active(anon):       1588 kB
Inactive(anon):   852460 kB
SwapTotal:             0 kB
SwapFree:              0 kB
Shmem:              9568 kB
KReclaimable:     653892 kB
Slab:             718028 kB
SReclaimable:     653892 kB
SUnreclaim:        64136 kB
`;

// This machine: the root file system is the whole disk vda; loop and zram devices hold no mounted file system.
const DISKSTATS_1 = `   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   7       1 loop1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 254       0 vda 141454 9428 4285930 66240 218057 406625 76108144 626121 0 143048 811429 146654 3231 54869200 109994 13131 9072
 253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
`;
const DISKSTATS_2 = `   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   7       1 loop1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 254       0 vda 141978 9439 4294090 66561 218072 406625 76124584 626126 0 143064 811754 146654 3231 54869200 109994 13131 9072
 253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
`;
const MOUNTINFO = `22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334076k,nr_inodes=3083519,mode=755
25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24683664k
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

// This machine, /proc/net/dev and /proc/net/route. Its eth0 was idle between the two readings, so the second
// reading's eth0 counters are the first's advanced by 3 MiB received and 1 MiB sent.
const NET_DEV_1 = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 756890205 1067332    0    0    0     0          0         0 756890205 1067332    0    0    0     0       0          0
  ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0: 2263374225   65688    0    0    0     0          0         0  7483868   50195    0    0    0     0       0          0
`;
const NET_DEV_2 = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 756933653 1067478    0    0    0     0          0         0 756933653 1067478    0    0    0     0       0          0
  ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0: ${2263374225 + 3 * MB}   67688    0    0    0     0          0         0  ${7483868 + MB}   51195    0    0    0     0       0          0
`;
const ROUTE = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	010200C0	0003	0	0	0	00000000	0	0	0
eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
`;

/** A reader over fixed text per path, switched from one reading to the next by the test. */
function recorded(files: Record<string, string>): {
  read: (path: string) => Promise<string>;
  files: Record<string, string>;
} {
  return {
    files,
    read: async (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
  };
}

test('/proc/stat: busy and total ticks are counted as systeminformation counts them', () => {
  // busy = user + nice + system + irq + steal + guest; idle alone besides; iowait (456) and softirq (1382) in neither.
  assert.deepEqual(parseProcStat(STAT_1), { busy: 644346 + 117390 + 1478, total: 644346 + 117390 + 1478 + 43611 });
  // Only the aggregate line counts (its fields are the per-CPU lines summed), not cpu0 or cpu1 again.
  assert.deepEqual(parseProcStat(STAT_HEAD), { busy: 657438 + 120088 + 1536, total: 657438 + 120088 + 1536 + 43978 });
  assert.throws(() => parseProcStat('intr 1 2 3\n'), /no aggregate "cpu" line/);
});

test('cpu probe: the share of busy ticks between two readings', async () => {
  const proc = recorded({ '/proc/stat': STAT_1 });
  const probe = procStatProbe(proc.read);
  await probe.prime!();
  proc.files['/proc/stat'] = STAT_2;
  const busy = 644517 + 117426 - (644346 + 117390);
  assert.deepEqual(await probe.sample(), { 'system.cpu_percent': (busy / (busy + 1)) * 100 });
  // The same reading again: no tick elapsed, no value (not 0 %).
  assert.deepEqual(await probe.sample(), {});
});

test('/proc/meminfo: memory in use is total minus available; old kernels without MemAvailable fall back', async () => {
  assert.deepEqual(parseProcMeminfo(MEMINFO), { total: 24683664 * 1024, available: 23081160 * 1024 });
  const before314 = MEMINFO.replace(/^MemAvailable:.*\n/m, '');
  // free + buffers + cached + slab, as systeminformation; SwapCached is not Cached.
  assert.equal(parseProcMeminfo(before314).available, (18536164 + 79716 + 4182192 + 718028) * 1024);
  assert.throws(() => parseProcMeminfo('MemFree: 1 kB\n'), /no MemTotal/);
  const probe = procMeminfoProbe(recorded({ '/proc/meminfo': MEMINFO }).read);
  assert.deepEqual(await probe.sample(), { 'system.memory_percent': ((24683664 - 23081160) / 24683664) * 100 });
});

test('/proc/self/mountinfo: real devices by number, /dev sources by name, virtual file systems left out', () => {
  assert.deepEqual(parseMountinfo(MOUNTINFO), { numbers: new Set(['254:0']), names: new Set(['vda']) });
  // A laptop's layout: ESP and btrfs root on NVMe partitions (btrfs reports an anonymous 0:N number, and optional
  // fields before the separator), /home on LVM (a device-mapper number, its source a /dev/mapper link).
  const laptop = [
    '29 1 0:27 /@ / rw,relatime shared:1 - btrfs /dev/nvme0n1p2 rw,ssd,space_cache=v2,subvol=/@',
    '30 29 259:1 / /boot/efi rw,relatime shared:3 - vfat /dev/nvme0n1p1 rw,fmask=0077,dmask=0077',
    '31 29 253:0 / /home rw,relatime shared:4 - ext4 /dev/mapper/vg-home rw',
    '32 29 0:27 /@snapshots /.snapshots rw,relatime shared:5 - btrfs /dev/nvme0n1p2 rw,subvol=/@snapshots',
    '33 29 0:45 / /tmp rw,nosuid,nodev shared:6 - tmpfs tmpfs rw',
  ].join('\n');
  const mounted = parseMountinfo(laptop);
  assert.deepEqual(mounted.numbers, new Set(['259:1', '253:0']));
  assert.deepEqual(mounted.names, new Set(['nvme0n1p2', 'nvme0n1p1', 'mapper/vg-home']));
  const diskstats = parseDiskstats(
    [
      ' 259       0 nvme0n1 9000 0 800000 0 7000 0 900000 0 0 0 0 0 0 0 0 0 0',
      ' 259       1 nvme0n1p1 100 0 2000 0 10 0 40 0 0 0 0 0 0 0 0 0 0',
      ' 259       2 nvme0n1p2 8000 0 700000 0 6000 0 800000 0 0 0 0 0 0 0 0 0 0',
      ' 259       3 nvme0n1p3 900 0 98000 0 990 0 99960 0 0 0 0 0 0 0 0 0 0',
      ' 253       0 dm-0 880 0 90000 0 900 0 99000 0 0 0 0 0 0 0 0 0 0',
      '   7       0 loop0 50 0 1000 0 0 0 0 0 0 0 0 0 0 0 0 0 0',
    ].join('\n'),
  );
  // p1 (by number), p2 (by name), dm-0 (by number); the whole disk, the LVM partition p3 under dm-0, loop0: not.
  assert.deepEqual(mountedDiskBytes(diskstats, mounted), {
    read: (2000 + 700000 + 90000) * 512,
    written: (40 + 800000 + 99000) * 512,
  });
});

test('disk probe: MB/s read and written by mounted devices between two readings', async () => {
  assert.deepEqual(
    parseDiskstats(DISKSTATS_1).map((disk) => disk.name),
    ['loop0', 'loop1', 'vda', 'zram0'],
  );
  const proc = recorded({ '/proc/diskstats': DISKSTATS_1, '/proc/self/mountinfo': MOUNTINFO });
  let clock = 10_000;
  const probe = procDiskstatsProbe(proc.read, () => clock);
  await probe.prime!();
  proc.files['/proc/diskstats'] = DISKSTATS_2;
  clock += 2000;
  assert.deepEqual(await probe.sample(), {
    'system.disk_read_mb_s': ((4294090 - 4285930) * 512) / 2 / MB,
    'system.disk_write_mb_s': ((76124584 - 76108144) * 512) / 2 / MB,
  });
  const broken = procDiskstatsProbe(recorded({ '/proc/self/mountinfo': MOUNTINFO }).read);
  await assert.rejects(broken.prime!(), /ENOENT/, 'no /proc/diskstats: priming fails, so the sampler drops the probe');
});

test("/proc/net/dev and /proc/net/route: the default interface's byte counters", () => {
  const interfaces = parseNetDev(NET_DEV_1);
  assert.deepEqual([...interfaces.keys()], ['lo', 'ifb0', 'eth0']);
  assert.deepEqual(interfaces.get('eth0'), { rx: 2263374225, tx: 7483868 });
  // Older kernels print no space after the colon once the counter is wide.
  assert.deepEqual(parseNetDev('  eth0:12345678901 5 0 0 0 0 0 0 987 3 0 0 0 0 0 0\n').get('eth0'), {
    rx: 12345678901,
    tx: 987,
  });
  assert.equal(parseDefaultRoute(ROUTE), 'eth0');
  // Ethernet and Wi-Fi both up: the lower metric wins, as in the kernel; a route without RTF_UP never does.
  const twoRoutes = [
    'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'wlp2s0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0',
    'enp3s0\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0',
    'tun0\t00000000\t00000000\t0000\t0\t0\t0\t00000000\t0\t0\t0',
    'wlp2s0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0',
  ].join('\n');
  assert.equal(parseDefaultRoute(twoRoutes), 'enp3s0');
  assert.equal(parseDefaultRoute(ROUTE.split('\n').slice(0, 1).join('\n')), undefined);
  const address = { netmask: '', mac: '', cidr: null } as const;
  assert.equal(
    firstExternalInterface({
      lo: [{ ...address, address: '127.0.0.1', family: 'IPv4', internal: true }],
      eth0: [{ ...address, address: '10.0.0.2', family: 'IPv4', internal: false }],
      eth1: [{ ...address, address: 'fe80::1', family: 'IPv6', internal: false, scopeid: 3 }],
    }),
    'eth1',
    'the lowest IPv6 scope id, as systeminformation',
  );
});

test('network probe: MB/s on the default interface; a vanished interface skips a sample, not the run', async () => {
  const proc = recorded({ '/proc/net/dev': NET_DEV_1, '/proc/net/route': ROUTE });
  let clock = 5_000;
  const probe = procNetDevProbe(proc.read, () => clock);
  await probe.prime!();
  proc.files['/proc/net/dev'] = NET_DEV_2;
  clock += 1000;
  // lo moved too, and is not counted.
  assert.deepEqual(await probe.sample(), { 'system.net_rx_mb_s': 3, 'system.net_tx_mb_s': 1 });
  proc.files['/proc/net/dev'] = NET_DEV_2.replace(/^ {2}eth0:.*\n/m, '');
  clock += 1000;
  assert.deepEqual(await probe.sample(), {});
});

test('counter rates: per second between readings; the first is a baseline; a reset reads 0; a new key restarts', () => {
  const rates = new CounterRates();
  assert.equal(rates.next([100, 50], 'eth0', 0), null);
  assert.deepEqual(rates.next([300, 50], 'eth0', 500), [400, 0]);
  assert.deepEqual(rates.next([10, 60], 'eth0', 1500), [0, 10], 'a counter that went down reads 0, not negative');
  assert.equal(rates.next([999, 999], 'wlan0', 2500), null, 'another interface: a new baseline');
  assert.equal(rates.next([1000, 1000], 'wlan0', 2500), null, 'no time elapsed');
});

test('on Linux the machine probes read /proc only and never load systeminformation', async (t) => {
  if (process.platform !== 'linux') return t.skip('Linux only');
  const probes = machineProbes('linux');
  assert.deepEqual(
    probes.map((probe) => probe.name),
    ['cpu (/proc/stat)', 'memory (/proc/meminfo)', 'disk (/proc/diskstats)', 'network (/proc/net/dev)'],
  );
  const values: Record<string, number> = {};
  for (const probe of probes) {
    try {
      await probe.prime!();
    } catch {
      continue; // a sandbox without a default route or disk counters: that probe is dropped, as in a run
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    Object.assign(values, await probe.sample());
  }
  assert.ok(values['system.memory_percent']! > 0 && values['system.memory_percent']! <= 100, JSON.stringify(values));
  const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('systeminformation'));
  assert.deepEqual(loaded, []);
});
