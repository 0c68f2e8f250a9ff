/** Block devices that hold a mounted file system, as /proc/self/mountinfo names them. */
export interface MountedDevices {
  /** `major:minor` of every mount whose device is real (major 0 is a virtual file system: proc, tmpfs, overlay). */
  numbers: ReadonlySet<string>;
  /** Kernel names of `/dev/NAME` sources: btrfs reports an anonymous 0:N number and is found by name. */
  names: ReadonlySet<string>;
}

/**
 * Lines of /proc/self/mountinfo (man 5 proc): `id parent major:minor root
 * mountpoint options [optional fields...] - fstype source super-options`.
 * What systeminformation got from `lsblk` (devices with a mount point),
 * without starting it.
 */
export function parseMountinfo(text: string): MountedDevices {
  const numbers = new Set<string>();
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length < 3) continue;
    const number = fields[2]!;
    if (/^\d+:\d+$/.test(number) && !number.startsWith('0:')) numbers.add(number);
    const separator = fields.indexOf('-', 6);
    const source = separator === -1 ? undefined : fields[separator + 2];
    if (source?.startsWith('/dev/')) names.add(source.slice('/dev/'.length));
  }
  return { numbers, names };
}
