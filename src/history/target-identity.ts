// What a history's TARGET is, told apart from any other device or file of
// the same size: a device-mapper device by its dm uuid (stable across
// reboots and renumbering), any other block device by its number, a file by
// its device and inode.
import { promises as fsp, Stats } from 'fs'
import { InvalidInputError } from '../errors'
import { deviceSizeBytes } from '../io/device-size'
import { majorOf, minorOf, sysfsBlockDir } from '../io/device-number'
import { fileTypeName } from '../io/open-data-file'

export interface TargetFacts {
  path: string
  sizeBytes: number
  identity: string
}

/** The identity history.json records for what `stats` describes. */
export async function targetIdentityOf(stats: Stats): Promise<string> {
  if (stats.isFile()) return `file:${stats.dev}:${stats.ino}`
  const uuid = await fsp.readFile(`${sysfsBlockDir(stats.rdev)}/dm/uuid`, 'utf8').then((t) => t.trim(), () => '')
  return uuid ? `dm:${uuid}` : `block:${majorOf(stats.rdev)}:${minorOf(stats.rdev)}`
}

/** Path, size and identity of the target at `targetPath` (a regular file or block device). */
export async function describeTarget(targetPath: string): Promise<TargetFacts> {
  let stats: Stats
  try {
    stats = await fsp.stat(targetPath)
  } catch (err) {
    throw new InvalidInputError(`cannot use the target ${targetPath}: ${(err as Error).message}`, { cause: err })
  }
  if (!stats.isFile() && !stats.isBlockDevice()) {
    throw new InvalidInputError(`the target ${targetPath} is ${fileTypeName(stats)}: expected a regular file or a block device`)
  }
  return { path: targetPath, sizeBytes: await deviceSizeBytes(targetPath, stats), identity: await targetIdentityOf(stats) }
}
