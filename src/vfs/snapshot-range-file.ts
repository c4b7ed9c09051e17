// A byte range of the new snapshot shown as a file: full.img (the whole
// snapshot) and each file of changed/ (one run).
import { BlockSource } from '../io/block-source'
import { FileLayout, rangeLayout } from './file-layout'
import { VfsFile } from './node'

export class SnapshotRangeFile implements VfsFile {
  readonly kind = 'file'

  constructor(
    private readonly snapshot: BlockSource,
    private readonly startBytes: number,
    readonly sizeBytes: number,
  ) {}

  get allocatedBytes(): number {
    return this.sizeBytes
  }

  read(target: Buffer, offsetBytes: number): Promise<number> {
    const n = Math.max(0, Math.min(target.length, this.sizeBytes - offsetBytes))
    if (n === 0) return Promise.resolve(0)
    // Straight into the caller's buffer (the FUSE reply buffer): no copy, and
    // no async wrapper: this is the hottest path of the mount.
    return this.snapshot
      .readInto(n === target.length ? target : target.subarray(0, n), this.startBytes + offsetBytes)
      .then(() => n)
  }

  preadLayout(): FileLayout | undefined {
    const { fd } = this.snapshot
    return fd === undefined ? undefined : rangeLayout(fd, this.startBytes, this.sizeBytes)
  }
}

/** full.img: the new snapshot, byte for byte. */
export function fullImageFile(snapshot: BlockSource): SnapshotRangeFile {
  return new SnapshotRangeFile(snapshot, 0, snapshot.sizeBytes)
}
