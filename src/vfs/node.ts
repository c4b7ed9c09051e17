// The filesystem as plain TypeScript: the FUSE adapter (src/fuse/) only
// translates these nodes; tests call them directly, without a kernel.

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
}

export interface VfsDir {
  readonly kind: 'dir'
  /** Entry names, in the order ls shows them unsorted. */
  list(): Promise<readonly string[]>
  /** The child called `name`, or undefined. */
  lookup(name: string): Promise<VfsNode | undefined>
}

export type VfsNode = VfsFile | VfsDir
