// What a path names, as a string that two opens of the same file or device
// share: a block device's number, or a regular file's device and inode. Used
// to refuse writing onto a generation's own sources, including a loop device
// whose backing file is one of them (or the other way round).
import { promises as fsp, Stats } from 'fs'
import { sysfsBlockDir } from './device-number'

/** A file or device that something reads from or names, for the same-file checks. */
export interface NamedIdentity {
  path: string
  identity: string
}

/** The identity of what `stats` describes. */
export function identityOf(stats: Stats): string {
  return stats.isBlockDevice() ? `block:${stats.rdev}` : `file:${stats.dev}:${stats.ino}`
}

/** `identity`, plus the identity of the file behind it when it is a loop device. */
export async function withBackingFile(identity: string): Promise<string[]> {
  const block = /^block:(\d+)$/.exec(identity)
  if (!block) return [identity]
  let backing: string
  try {
    backing = (await fsp.readFile(`${sysfsBlockDir(Number(block[1]))}/loop/backing_file`, 'utf8')).trim()
  } catch {
    return [identity]
  }
  const stats = await fsp.stat(backing).catch(() => undefined)
  return stats ? [identity, identityOf(stats)] : [identity]
}

/** The identity of the file or device at `path` (following symlinks), or undefined when it cannot be stat'ed. */
export async function identityOfPath(path: string): Promise<string | undefined> {
  const stats = await fsp.stat(path).catch(() => undefined)
  return stats && (stats.isFile() || stats.isBlockDevice()) ? identityOf(stats) : undefined
}

/** The first of `inputs` that is the same file or device as `identity` (loop devices seen through). */
export async function findSameFile(identity: string, inputs: readonly NamedIdentity[]): Promise<NamedIdentity | undefined> {
  const mine = new Set(await withBackingFile(identity))
  for (const input of inputs) {
    for (const theirs of await withBackingFile(input.identity)) if (mine.has(theirs)) return input
  }
  return undefined
}
