// The content TARGET had at an earlier generation, as a BlockSource: each
// byte comes from the undo record of the oldest newer generation that
// overwrote it, else from TARGET itself. Each layer's runs are searched with
// a binary search (ChunkRuns); a read spanning several sources is split, and
// the pieces are read in parallel straight into the caller's buffer.
import { BlockSource } from '../io/block-source'
import { DeviceIoError } from '../errors'
import { UndoFile } from './undo-file'

export class ReconstructedSource implements BlockSource {
  readonly sizeBytes: number

  /** `layers`: the undo records of the generations after the one shown, oldest first. */
  constructor(
    readonly path: string,
    private readonly layers: readonly UndoFile[],
    private readonly target: BlockSource,
    private readonly onClose: () => Promise<void> = async () => undefined,
  ) {
    this.sizeBytes = target.sizeBytes
  }

  async readInto(target: Buffer, offsetBytes: number): Promise<void> {
    if (offsetBytes < 0 || offsetBytes + target.length > this.sizeBytes) {
      throw new DeviceIoError(`read of ${target.length} bytes at ${offsetBytes} is outside ${this.path} (${this.sizeBytes} bytes)`)
    }
    const reads: Promise<void>[] = []
    this.split(0, target, offsetBytes, reads)
    // allSettled first: no read may still be filling `target` after we reject.
    const results = await Promise.allSettled(reads)
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }

  // Pieces of [offsetBytes, +target.length) inside layer `layer`'s runs read
  // from that undo record; the gaps go to the next newer layer, then TARGET.
  private split(layer: number, target: Buffer, offsetBytes: number, reads: Promise<void>[]): void {
    if (layer === this.layers.length) {
      reads.push(this.target.readInto(target, offsetBytes))
      return
    }
    const undo = this.layers[layer]
    const runs = undo.runs
    const endBytes = offsetBytes + target.length
    let at = offsetBytes
    for (let i = runs.firstRunEndingAfter(offsetBytes); i < runs.count && at < endBytes; i++) {
      const runStart = Math.max(runs.offsetBytes(i), at)
      if (runStart >= endBytes) break
      if (runStart > at) this.split(layer + 1, target.subarray(at - offsetBytes, runStart - offsetBytes), at, reads)
      const runEnd = Math.min(runs.endBytes(i), endBytes)
      reads.push(undo.readOld(target.subarray(runStart - offsetBytes, runEnd - offsetBytes), runStart, i))
      at = runEnd
    }
    if (at < endBytes) this.split(layer + 1, target.subarray(at - offsetBytes), at, reads)
  }

  close(): Promise<void> {
    return this.onClose()
  }
}
