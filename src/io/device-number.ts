// Linux device numbers (st_dev, st_rdev) as the kernel encodes them for user
// space (new_encode_dev): 12 bits of major, 20 of minor, minor split around it.

/** The major number of `dev`. */
export function majorOf(dev: number): number {
  return Number((BigInt(dev) >> 8n) & 0xfffn)
}

/** The minor number of `dev`. */
export function minorOf(dev: number): number {
  return Number((BigInt(dev) & 0xffn) | ((BigInt(dev) >> 12n) & 0xfff00n))
}

/** /sys/dev/block/MAJOR:MINOR, the sysfs directory of a block device. */
export function sysfsBlockDir(rdev: number): string {
  return `/sys/dev/block/${majorOf(rdev)}:${minorOf(rdev)}`
}
