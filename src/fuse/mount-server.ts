// The life of one mount: mount the tree, notice when it is unmounted (by
// `snapdelta umount`, `fusermount -u` by hand, or stop() on a signal), and
// let the caller clean up. fuse-native tells nothing when someone else
// unmounts, so the server watches the kernel's mount table. It follows its
// mount by the kernel's mount id, not by path: renaming a directory above the
// mountpoint moves the mount, it does not end it.
import createDebug from 'debug'
import { setTimeout as sleep } from 'timers/promises'
import { ExternalCommandError } from '../errors'
import { VfsNode } from '../vfs/node'
import { mountFuse } from './adapter'
import { findMount, findMountById, isSnapdeltaMount, MountEntry } from './mount-table'
import { fusermountUnmount } from './unmount'

const debug = createDebug('snapdelta:fuse')

// How often the server checks that it is still mounted.
const MOUNT_POLL_MS = 300
// A clean unmount is retried this long while readers still hold files open.
const BUSY_RETRY_MS = 3000

export interface MountServerOptions {
  /** Absolute path with symlinks resolved: compared with the kernel's mount table. */
  mountpoint: string
  root: VfsNode
  allowOther: boolean
  mountedAt: Date
}

export interface MountServer {
  /** Where it was mounted; it may have moved since (see `mount`). */
  readonly mountpoint: string
  /** The kernel's mount id and device: they name this mount wherever it is now. */
  readonly mount: Pick<MountEntry, 'mountId' | 'device'>
  /** Resolves once the mount is gone, whoever unmounted it. */
  readonly unmounted: Promise<void>
  /** Unmounts (lazily if still busy after a few seconds) and waits until it is gone. */
  stop(): Promise<void>
}

/** Mounts `root` and resolves when the kernel has sent INIT: the mount is ready. */
export async function startMountServer(options: MountServerOptions): Promise<MountServer> {
  const uid = process.getuid?.() ?? 0
  const gid = process.getgid?.() ?? 0
  const fuseMount = await mountFuse(options.mountpoint, options.root, { allowOther: options.allowOther, mountedAt: options.mountedAt, uid, gid })
  // Read from the mount table, never by stat(): a synchronous call on our own mount would deadlock.
  const entry = await findMount(options.mountpoint)
  if (!entry || !isSnapdeltaMount(entry)) {
    throw new ExternalCommandError(`${options.mountpoint} was mounted, but the mount table does not show it there: was it moved at once?`)
  }
  const mount = { mountId: entry.mountId, device: entry.device }
  debug('mounted %s (mount id %d, device %s)', options.mountpoint, mount.mountId, mount.device)
  const unmounted = (async () => {
    while (await findMountById(mount.mountId, mount.device)) await sleep(MOUNT_POLL_MS)
    const reads = fuseMount.readCounts()
    debug('mount %d (first at %s) is gone; reads served: %d native (%d failed), %d in JS', mount.mountId, options.mountpoint, reads.native, reads.nativeFailed, reads.js)
  })()
  let stopping: Promise<void> | undefined
  return {
    mountpoint: options.mountpoint,
    mount,
    unmounted,
    stop: () => (stopping ??= stop(mount, unmounted)),
  }
}

async function stop(mount: Pick<MountEntry, 'mountId' | 'device'>, unmounted: Promise<void>): Promise<void> {
  const deadline = Date.now() + BUSY_RETRY_MS
  for (;;) {
    // Looked up each time: the mount may have moved.
    const current = await findMountById(mount.mountId, mount.device)
    if (!current) break
    try {
      await fusermountUnmount(current.mountpoint)
      break
    } catch (err) {
      if (Date.now() >= deadline) {
        debug('%s still busy (%s): detaching it lazily', current.mountpoint, (err as Error).message)
        await fusermountUnmount(current.mountpoint, true)
        break
      }
      await sleep(200)
    }
  }
  await unmounted
}
