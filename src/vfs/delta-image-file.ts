// delta.img: as large as the snapshot; the changed runs read as the snapshot's
// bytes, everything else as zeros that are not stored (st_blocks counts only
// the changed bytes, so du shows the delta's real size).
import { BlockSource } from '../io/block-source'
import { ChunkRuns } from '../map/chunk-runs'
import { EXTENT_NUMBERS, FileLayout } from './file-layout'
import { VfsFile } from './node'

export class DeltaImageFile implements VfsFile {
  readonly kind = 'file'
  // Built on the first open and kept: 24 bytes a run, and each open passes the same list.
  private extents: Float64Array | undefined

  constructor(
    private readonly runs: ChunkRuns,
    private readonly snapshot: BlockSource,
  ) {}

  get sizeBytes(): number {
    return this.snapshot.sizeBytes
  }

  get allocatedBytes(): number {
    return this.runs.changedBytes
  }

  async read(target: Buffer, offsetBytes: number): Promise<number> {
    const n = Math.max(0, Math.min(target.length, this.sizeBytes - offsetBytes))
    const endBytes = offsetBytes + n
    const reads: Promise<void>[] = []
    // `at` walks the requested range: holes are zero-filled, run pieces are
    // read from the snapshot straight into their place in `target`.
    let at = offsetBytes
    for (let i = this.runs.firstRunEndingAfter(offsetBytes); i < this.runs.count && at < endBytes; i++) {
      const runStart = Math.max(this.runs.offsetBytes(i), at)
      if (runStart >= endBytes) break
      if (runStart > at) target.fill(0, at - offsetBytes, runStart - offsetBytes)
      const runEnd = Math.min(this.runs.endBytes(i), endBytes)
      reads.push(this.snapshot.readInto(target.subarray(runStart - offsetBytes, runEnd - offsetBytes), runStart))
      at = runEnd
    }
    if (at < endBytes) target.fill(0, at - offsetBytes, n)
    // allSettled first: no read may still be filling `target` after we reject.
    const results = await Promise.allSettled(reads)
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
    return n
  }

  preadLayout(): FileLayout | undefined {
    const { fd } = this.snapshot
    if (fd === undefined) return undefined
    if (!this.extents) {
      const extents = new Float64Array(this.runs.count * EXTENT_NUMBERS)
      for (let i = 0, at = 0; i < this.runs.count; i++, at += EXTENT_NUMBERS) {
        // A run is read from the same offset of the snapshot.
        extents[at] = extents[at + 2] = this.runs.offsetBytes(i)
        extents[at + 1] = this.runs.lengthBytes(i)
      }
      this.extents = extents
    }
    return { fd, sizeBytes: this.sizeBytes, extents: this.extents }
  }
}
