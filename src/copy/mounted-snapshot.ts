// apply, verify and send read a mounted generation straight from its snapshot:
// the same bytes as delta.img's runs without the trip through FUSE, which
// costs apply half its speed. info.json names the snapshot, but a copied
// info.json names it too, and inode or loop/dm minor numbers are reused once
// a file or device is gone. So the direct read needs the server's word: the
// directory must be on a live snapdelta mount (st_dev of its files is that
// mount's), owned by this user or root, and both chunks.map and info.json
// must have been served by that mount. While it is mounted, the server holds
// the snapshot open, so the identity it published cannot name anything else.
import createDebug from 'debug'
import { FileSource } from '../io/file-source'
import { InfoReadBack, readGenerationInfo } from '../generation/read-generation-info'
import { findMountByDevice, fuseMountOwner, isSnapdeltaMount } from '../fuse/mount-table'

const debug = createDebug('snapdelta:copy')

export interface MountedSnapshot {
  snapshot: FileSource
  /** The old snapshot's COW, as the confirmed mount names it (with what it named then, when known): the old bytes for the content check. */
  cowPath: string | undefined
  cowIdentity: string | undefined
}

/**
 * The snapshot behind generation directory `dir`, opened, when a live
 * snapdelta mount serves `dir` (whose chunks.map came from st_dev `mapDev`)
 * and its info.json names a snapshot with the identity the server published
 * and `deviceSizeBytes`; undefined otherwise (read through the directory then).
 */
export async function confirmedMountedSnapshot(dir: string, mapDev: number, deviceSizeBytes: number): Promise<MountedSnapshot | undefined> {
  const mount = await findMountByDevice(mapDev)
  if (!mount || !isSnapdeltaMount(mount)) {
    debug('%s: not on a live snapdelta mount: reading its own files', dir)
    return undefined
  }
  const owner = fuseMountOwner(mount)
  const uid = process.getuid?.() ?? 0
  if (owner !== uid && owner !== 0) {
    debug('%s: the mount at %s belongs to uid %s: reading through it', dir, mount.mountpoint, owner)
    return undefined
  }
  let info: InfoReadBack
  try {
    const file = await readGenerationInfo(dir)
    if (file.stats.dev !== mapDev) return undefined
    info = file.info
  } catch (err) {
    debug('%s: no usable info.json (%s)', dir, (err as Error).message)
    return undefined
  }
  if ((info.kind !== 'delta' && info.kind !== 'thin') || info.snapshotPath === undefined || info.snapshotIdentity === undefined) return undefined
  let snapshot: FileSource
  try {
    snapshot = await FileSource.open(info.snapshotPath)
  } catch {
    return undefined
  }
  if (snapshot.identity === info.snapshotIdentity && snapshot.sizeBytes === deviceSizeBytes) {
    return { snapshot, cowPath: info.cowPath, cowIdentity: info.cowIdentity }
  }
  debug('%s: %s is no longer the snapshot the mount serves: reading through the mount', dir, info.snapshotPath)
  await snapshot.close()
  return undefined
}
