// The filesystem as plain TypeScript: the FUSE adapter (src/fuse/) only
// translates these nodes; tests call them directly, without a kernel.
import { FileLayout } from './file-layout'

export interface VfsFile {
  readonly kind: 'file'
  /** Apparent size (st_size). */
  readonly sizeBytes: number
  /** Bytes really stored, for st_blocks: du shows a delta's real size. */
  readonly allocatedBytes: number
  /**
   * Fills target[0..n) with the bytes at `offsetBytes` and returns n: less than
   * target.length only at end of file. Read errors reject (EIO), never zeros.
   */
  read(target: Buffer, offsetBytes: number): Promise<number>
  /**
   * The file as ranges of one open descriptor and zeros, for a reader that
   * serves it by pread alone; undefined when its bytes need JS (computed
   * files, sources without a descriptor). Reading by the layout must give
   * exactly what read() gives, errors included.
   */
  preadLayout?(): FileLayout | undefined
}

export interface VfsDir {
  readonly kind: 'dir'
  /** Entry names, in the order ls shows them unsorted. */
  list(): Promise<readonly string[]>
  /** The child called `name`, or undefined. */
  lookup(name: string): Promise<VfsNode | undefined>
}

export type VfsNode = VfsFile | VfsDir
