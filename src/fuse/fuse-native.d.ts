// Types for the parts of fuse-native (which ships none) that snapdelta uses.
declare module 'fuse-native' {
  /** Callbacks take a negative errno on failure, or the op's result (read: bytes read). */
  type Cb = (code: number, ...results: unknown[]) => void

  export interface FuseStat {
    mode: number
    uid: number
    gid: number
    size: number
    blocks: number
    blksize: number
    nlink: number
    mtime: Date
    atime: Date
    ctime: Date
  }

  export interface FuseOps {
    init?(cb: Cb): void
    getattr?(path: string, cb: Cb): void
    fgetattr?(path: string, fd: number, cb: Cb): void
    readdir?(path: string, cb: Cb): void
    open?(path: string, flags: number, cb: Cb): void
    read?(path: string, fd: number, buffer: Buffer, length: number, position: number, cb: Cb): void
    release?(path: string, fd: number, cb: Cb): void
    statfs?(path: string, cb: Cb): void
    [op: string]: ((...args: any[]) => void) | undefined
  }

  export interface FuseOptions {
    /** false disables the per-operation timeout (default 15 s, then ETIMEDOUT). */
    timeout?: number | false
    fsname?: string
    subtype?: string
    allowOther?: boolean
    defaultPermissions?: boolean
    kernelCache?: boolean
    autoCache?: boolean
    entryTimeout?: number
    attrTimeout?: number
    maxRead?: number
    debug?: boolean
    mkdir?: boolean
  }

  class Fuse {
    constructor(mountpoint: string, ops: FuseOps, options?: FuseOptions)
    readonly mnt: string
    /** Per-operation timeout in ms; 0 when disabled. */
    readonly timeout: number
    mount(cb: (err: Error | null) => void): void
    unmount(cb: (err: Error | null) => void): void
    /** The "-o a,b,c" argument given to libfuse; subclasses may extend it. */
    protected _fuseOptions(): string
  }
  export = Fuse
}
