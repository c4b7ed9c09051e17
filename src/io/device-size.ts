// Size of a regular file or a block device. fstat reports 0 for block devices,
// and Node has no ioctl, so the size comes from sysfs (what blockdev reads).
import { promises as fsp, Stats } from 'fs'
import { InvalidInputError } from '../errors'
import { sysfsBlockDir } from './device-number'

/** Size in bytes of the file or block device described by `stats`. */
export async function deviceSizeBytes(path: string, stats: Stats): Promise<number> {
  if (stats.isFile()) return stats.size
  if (!stats.isBlockDevice()) {
    throw new InvalidInputError(`${path}: not a regular file or block device`)
  }
  const text = await fsp.readFile(`${sysfsBlockDir(stats.rdev)}/size`, 'utf8')
  return Number(text.trim()) * 512
}
