import { CounterRates } from './counter-rates.js';
import { readProcFile, type ReadText } from './proc-file.js';
import { parseMountinfo, type MountedDevices } from './proc-mountinfo.js';
import { BYTES_PER_MB, type SystemProbe, type SystemReading } from './system-probe.js';

/** /proc/diskstats counts 512-byte sectors whatever the device's sector size (kernel admin-guide/iostats). */
const SECTOR_BYTES = 512;

/** One line of /proc/diskstats. */
export interface DiskCounters {
  major: number;
  minor: number;
  name: string;
  sectorsRead: number;
  sectorsWritten: number;
}

/** `major minor name reads merged sectors-read ms writes merged sectors-written ...` per device. */
export function parseDiskstats(text: string): DiskCounters[] {
  const disks: DiskCounters[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const [major, minor, name, , , sectorsRead, , , , sectorsWritten] = fields;
    disks.push({
      major: Number(major),
      minor: Number(minor),
      name: name!,
      sectorsRead: Number(sectorsRead),
      sectorsWritten: Number(sectorsWritten),
    });
  }
  return disks;
}

/**
 * Bytes read and written so far by the devices that hold a mounted file
 * system: a partition and the disk it is on both appear in /proc/diskstats,
 * and counting only mounted devices (as systeminformation does) counts each
 * byte once and leaves out loop and swap devices.
 */
export function mountedDiskBytes(
  disks: readonly DiskCounters[],
  mounted: MountedDevices,
): { read: number; written: number } {
  let read = 0;
  let written = 0;
  for (const disk of disks) {
    if (!mounted.numbers.has(`${disk.major}:${disk.minor}`) && !mounted.names.has(disk.name)) continue;
    read += disk.sectorsRead * SECTOR_BYTES;
    written += disk.sectorsWritten * SECTOR_BYTES;
  }
  return { read, written };
}

/**
 * Disk MB/s read and written between two samples, from /proc/diskstats and
 * /proc/self/mountinfo. `read` and `now` (the clock of the rates) are replaced by tests.
 */
export function procDiskstatsProbe(
  read: ReadText = readProcFile,
  now: () => number = () => performance.now(),
): SystemProbe {
  const rates = new CounterRates();
  const sample = async (): Promise<SystemReading> => {
    // Mounts are read every time (one more file, no child process): a disk mounted mid-run is counted from then on.
    const [diskstats, mountinfo] = await Promise.all([read('/proc/diskstats'), read('/proc/self/mountinfo')]);
    const bytes = mountedDiskBytes(parseDiskstats(diskstats), parseMountinfo(mountinfo));
    const perSecond = rates.next([bytes.read, bytes.written], '', now());
    if (perSecond === null) return {};
    return {
      'system.disk_read_mb_s': perSecond[0]! / BYTES_PER_MB,
      'system.disk_write_mb_s': perSecond[1]! / BYTES_PER_MB,
    };
  };
  return { name: 'disk (/proc/diskstats)', prime: async () => void (await sample()), sample };
}
