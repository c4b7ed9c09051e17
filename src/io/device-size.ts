// Size of a regular file or a block device. fstat reports 0 for block devices,
// and Node has no ioctl, so the size comes from sysfs (what blockdev reads).
import { promises as fsp, Stats } from 'fs'
import { InvalidInputError } from '../errors'

/** Size in bytes of the file or block device described by `stats`. */
export async function deviceSizeBytes(path: string, stats: Stats): Promise<number> {
  if (stats.isFile()) return stats.size
  if (!stats.isBlockDevice()) {
    throw new InvalidInputError(`${path}: not a regular file or block device`)
  }
  const major = Number((BigInt(stats.rdev) >> 8n) & 0xfffn)
  const minor = Number((BigInt(stats.rdev) & 0xffn) | ((BigInt(stats.rdev) >> 12n) & 0xfff00n))
  const text = await fsp.readFile(`/sys/dev/block/${major}:${minor}/size`, 'utf8')
  return Number(text.trim()) * 512
}
