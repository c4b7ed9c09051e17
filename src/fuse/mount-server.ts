// The life of one mount: mount the tree, notice when it is unmounted (by
// `snapdelta umount`, `fusermount -u` by hand, or stop() on a signal), and
// let the caller clean up. fuse-native tells nothing when someone else
// unmounts, so the server watches the kernel's mount table.
import createDebug from 'debug'
import { setTimeout as sleep } from 'timers/promises'
import { VfsNode } from '../vfs/node'
import { mountFuse } from './adapter'
import { findMount } from './mount-table'
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
  readonly mountpoint: string
  /** Resolves once the mount is gone, whoever unmounted it. */
  readonly unmounted: Promise<void>
  /** Unmounts (lazily if still busy after a few seconds) and waits until it is gone. */
  stop(): Promise<void>
}

/** Mounts `root` and resolves when the kernel has sent INIT: the mount is ready. */
export async function startMountServer(options: MountServerOptions): Promise<MountServer> {
  const uid = process.getuid?.() ?? 0
  const gid = process.getgid?.() ?? 0
  await mountFuse(options.mountpoint, options.root, { allowOther: options.allowOther, mountedAt: options.mountedAt, uid, gid })
  debug('mounted %s', options.mountpoint)
  const unmounted = (async () => {
    while (await findMount(options.mountpoint)) await sleep(MOUNT_POLL_MS)
    debug('%s is no longer mounted', options.mountpoint)
  })()
  let stopping: Promise<void> | undefined
  return {
    mountpoint: options.mountpoint,
    unmounted,
    stop: () => (stopping ??= stop(options.mountpoint, unmounted)),
  }
}

async function stop(mountpoint: string, unmounted: Promise<void>): Promise<void> {
  const deadline = Date.now() + BUSY_RETRY_MS
  for (;;) {
    try {
      await fusermountUnmount(mountpoint)
      break
    } catch (err) {
      if (!(await findMount(mountpoint))) break
      if (Date.now() >= deadline) {
        debug('%s still busy (%s): detaching it lazily', mountpoint, (err as Error).message)
        await fusermountUnmount(mountpoint, true)
        break
      }
      await sleep(200)
    }
  }
  await unmounted
}
