// The open files whose reads the native read path serves: described once at
// open from the file's layout (src/vfs/file-layout.ts), forgotten at release.
// A file without a layout, or one the native side refuses, stays on the JS
// read path: a slower read, never a failed open.
import createDebug from 'debug'
import { VfsFile } from '../vfs/node'
import { FastRead } from './read-path'

const debug = createDebug('snapdelta:fuse')

export interface ReadCounts {
  /** Reads served in C, and how many of them failed (EIO). */
  native: number
  nativeFailed: number
  /** Reads answered by the JS handler. */
  js: number
}

export class NativeHandles {
  private readonly described = new Set<number>()
  private jsReads = 0

  constructor(private readonly fastRead: FastRead | undefined) {}

  /** Hands `handle`'s reads to the native path when `file` has a layout; true when it did. */
  describe(handle: number, file: VfsFile, path: string): boolean {
    const layout = this.fastRead && file.preadLayout?.()
    if (!this.fastRead || !layout) return false
    try {
      this.fastRead.describe(handle, layout.fd, layout.sizeBytes, layout.extents)
    } catch (err) {
      debug('open %s: the native read path refused it (%s): reading it in JS', path, (err as Error).message)
      return false
    }
    this.described.add(handle)
    return true
  }

  /** Release: the native side drops the handle once no read of it is in flight. */
  forget(handle: number): void {
    if (this.described.delete(handle)) this.fastRead?.forget(handle)
  }

  /** Counts a read answered in JS. */
  countJsRead(): void {
    this.jsReads++
  }

  /** How the reads of this process were served so far. */
  counts(): ReadCounts {
    const native = this.fastRead?.stats() ?? { served: 0, failed: 0 }
    return { native: native.served + native.failed, nativeFailed: native.failed, js: this.jsReads }
  }
}
