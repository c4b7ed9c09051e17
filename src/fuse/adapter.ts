// The thin fuse-native binding: translates FUSE operations on paths into calls
// on the vfs tree (src/vfs/), and errors into errnos (src/errors.ts: toErrno).
// No filesystem behaviour lives here.
import type Fuse from 'fuse-native'
import type { FuseOps, FuseStat } from 'fuse-native'
import createDebug from 'debug'
import { constants } from 'fs'
import { Errno, NotFoundError, ReadOnlyError, SnapdeltaError, toErrno } from '../errors'
import { VfsFile, VfsNode } from '../vfs/node'
import { NativeHandles, ReadCounts } from './native-handles'
import { loadFuseBinding } from './read-path'

const debug = createDebug('snapdelta:fuse')
// Linux's O_ACCMODE: Node's fs.constants lacks it.
const O_ACCMODE = 0o3
// Handles are unique in the process, not per mount: the native read path keeps one table of them.
let nextHandle = 1

export interface AdapterOptions {
  /** Open the mount to every user (allow_other + default_permissions); default: the mounting user only. */
  allowOther: boolean
  /** Times shown for every node: the content never changes while mounted. */
  mountedAt: Date
  uid: number
  gid: number
}

// Operations that would modify the tree: all refused with EROFS.
const MODIFYING_OPS = [
  'write', 'truncate', 'ftruncate', 'create', 'mknod', 'mkdir', 'unlink', 'rmdir', 'rename', 'link', 'symlink',
  'chmod', 'chown', 'utimens', 'setxattr', 'removexattr',
] as const

type Callback = (code: number, ...results: unknown[]) => void

/**
 * Runs an operation and answers the kernel exactly once: with the values it
 * resolves to, or with -errno when it rejects (or throws). Unknown errors are
 * logged; an unanswered callback would leave the kernel waiting.
 */
function answer(op: string, path: string, cb: Callback, work: () => Promise<[number, ...unknown[]]>): void {
  let pending: Promise<[number, ...unknown[]]>
  try {
    pending = work()
  } catch (err) {
    pending = Promise.reject(err)
  }
  pending.then(
    (results) => cb(...results),
    (err: unknown) => {
      if (!(err instanceof NotFoundError)) {
        if (err instanceof SnapdeltaError) debug('%s %s: %s', op, path, err.message)
        else debug('%s %s: unexpected error: %O', op, path, err)
      }
      cb(-toErrno(err))
    },
  )
}

/** Builds the fuse-native operations serving `root`; files `native` describes are read in C, never by `read` here. */
export function createFuseOps(root: VfsNode, options: AdapterOptions, native = new NativeHandles(undefined)): FuseOps {
  const openFiles = new Map<number, VfsFile>()

  async function resolve(path: string): Promise<VfsNode> {
    let node: VfsNode | undefined = root
    for (const name of path.split('/')) {
      if (name === '') continue
      if (node.kind !== 'dir') throw new NotFoundError(`${path}: not a directory`)
      node = await node.lookup(name)
      if (!node) throw new NotFoundError(`${path}: no such file`)
    }
    return node
  }

  function stat(node: VfsNode): FuseStat {
    const ownerOnly = !options.allowOther
    const isDir = node.kind === 'dir'
    const permissions = isDir ? (ownerOnly ? 0o500 : 0o555) : ownerOnly ? 0o400 : 0o444
    return {
      mode: (isDir ? constants.S_IFDIR : constants.S_IFREG) | permissions,
      uid: options.uid,
      gid: options.gid,
      size: isDir ? 0 : node.sizeBytes,
      // st_blocks is in 512-byte units whatever the block size.
      blocks: isDir ? 0 : Math.ceil(node.allocatedBytes / 512),
      blksize: 65536,
      // 1 on a directory means "subdirectories not counted", so find and fts
      // never skip a directory by trusting the link count.
      nlink: 1,
      mtime: options.mountedAt,
      atime: options.mountedAt,
      ctime: options.mountedAt,
    }
  }

  const ops: FuseOps = {
    getattr: (path: string, cb: Callback) => answer('getattr', path, cb, async () => [0, stat(await resolve(path))]),
    fgetattr: (path: string, fd: number, cb: Callback) =>
      answer('fgetattr', path, cb, async () => {
        const file = openFiles.get(fd)
        return [0, stat(file ?? (await resolve(path)))]
      }),
    readdir: (path: string, cb: Callback) =>
      answer('readdir', path, cb, async () => {
        const node = await resolve(path)
        if (node.kind !== 'dir') return [-Errno.ENOTDIR]
        return [0, ['.', '..', ...(await node.list())]]
      }),
    open: (path: string, flags: number, cb: Callback) =>
      answer('open', path, cb, async () => {
        const node = await resolve(path)
        if ((flags & O_ACCMODE) !== constants.O_RDONLY || flags & constants.O_TRUNC) {
          throw new ReadOnlyError(`${path}: opened for writing on a read-only mount`)
        }
        if (node.kind !== 'file') return [-Errno.EISDIR]
        const handle = nextHandle++
        openFiles.set(handle, node)
        // Described before open answers: the kernel sends no read of the handle before that.
        native.describe(handle, node, path)
        return [0, handle]
      }),
    read: (path: string, fd: number, buffer: Buffer, length: number, position: number, cb: Callback) =>
      answer('read', path, cb, async () => {
        native.countJsRead()
        const file = openFiles.get(fd) ?? (await resolve(path))
        if (file.kind !== 'file') return [-Errno.EISDIR]
        const target = buffer.length === length ? buffer : buffer.subarray(0, length)
        return [await file.read(target, position)]
      }),
    release: (path: string, fd: number, cb: Callback) =>
      answer('release', path, cb, async () => {
        openFiles.delete(fd)
        native.forget(fd)
        return [0]
      }),
    statfs: (path: string, cb: Callback) =>
      answer('statfs', path, cb, async () => [0, { bsize: 4096, frsize: 4096, namemax: 255 }]),
  }
  for (const op of MODIFYING_OPS) {
    ops[op] = (path: string, ...rest: unknown[]) => {
      const cb = rest[rest.length - 1] as Callback
      answer(op, path, cb, async () => {
        throw new ReadOnlyError(`${op} ${path}: the snapdelta mount is read-only`)
      })
    }
  }
  return ops
}

// The fork when its native read path loads, else the npm fuse-native (read-path.ts).
const binding = loadFuseBinding()

/** fuse-native with the options it has no switch for: ro, and default_permissions. */
class ReadOnlyFuse extends binding.Fuse {
  constructor(
    mountpoint: string,
    ops: FuseOps,
    private readonly allowOther: boolean,
  ) {
    super(mountpoint, ops, {
      // A slow device must make a slow read, never an ETIMEDOUT.
      timeout: false,
      fsname: 'snapdelta',
      subtype: 'snapdelta',
      allowOther,
      // Generations never change while mounted: let the kernel keep pages and attributes.
      kernelCache: true,
      entryTimeout: 3600,
      attrTimeout: 3600,
    })
  }

  protected override _fuseOptions(): string {
    const extra = ['ro']
    // With allow_other the kernel must check the mode bits itself, or every user could read.
    if (this.allowOther) extra.push('default_permissions')
    const base = super._fuseOptions()
    return base ? `${base},${extra.join(',')}` : `-o${extra.join(',')}`
  }
}

export interface FuseMount {
  fuse: Fuse
  /** How its reads were served so far: natively or in JS. */
  readCounts(): ReadCounts
}

/** The fuse-native instance serving `root` at `mountpoint`, not mounted yet. */
export function createFuse(mountpoint: string, root: VfsNode, options: AdapterOptions): FuseMount {
  const native = new NativeHandles(binding.fastRead)
  const fuse = new ReadOnlyFuse(mountpoint, createFuseOps(root, options, native), options.allowOther)
  return { fuse, readCounts: () => native.counts() }
}

/** Mounts `root` read-only at `mountpoint`; resolves once the kernel has sent INIT. */
export function mountFuse(mountpoint: string, root: VfsNode, options: AdapterOptions): Promise<FuseMount> {
  const mount = createFuse(mountpoint, root, options)
  return new Promise((resolve, reject) => mount.fuse.mount((err) => (err ? reject(err) : resolve(mount))))
}
