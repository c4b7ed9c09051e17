// Where a file's bytes lie in an open file descriptor: what a reader outside
// JS (the native read path, src/fuse/read-path.ts) needs to serve the file by
// pread alone. Only files whose every byte is such a range, or zeros, have one.

/** Numbers per extent in FileLayout.extents: offset in the file, length, offset in the descriptor. */
export const EXTENT_NUMBERS = 3

export interface FileLayout {
  /** The descriptor every extent reads from; its owner keeps it open (a native reader opens the file again from it). */
  readonly fd: number
  readonly sizeBytes: number
  /** EXTENT_NUMBERS numbers an extent, sorted, apart, none empty; the file reads zeros outside them. */
  readonly extents: Float64Array
}

/** The layout of a file that is one range of `fd` (full.img, a changed/ file). */
export function rangeLayout(fd: number, sourceOffsetBytes: number, sizeBytes: number): FileLayout {
  return { fd, sizeBytes, extents: new Float64Array(sizeBytes > 0 ? [0, sizeBytes, sourceOffsetBytes] : []) }
}
