// A BlockSource over a Buffer that can fail on chosen ranges: proves that read
// errors reach the reader as rejections, never as zeros.
import { BlockSource } from '../../../src/io/block-source'
import { DeviceIoError } from '../../../src/errors'

export class MemorySource implements BlockSource {
  readonly path = '/test/memory-snapshot.img'
  /** Every readInto call, as [offsetBytes, length]. */
  readonly reads: Array<[number, number]> = []

  constructor(
    private readonly bytes: Buffer,
    /** Fails any read overlapping [failFromBytes, failToBytes). */
    private readonly fail?: { failFromBytes: number; failToBytes: number },
  ) {}

  get sizeBytes(): number {
    return this.bytes.length
  }

  async readInto(target: Buffer, offsetBytes: number): Promise<void> {
    this.reads.push([offsetBytes, target.length])
    if (offsetBytes < 0 || offsetBytes + target.length > this.bytes.length) {
      throw new DeviceIoError(`read of ${target.length} bytes at ${offsetBytes} is outside ${this.path}`)
    }
    const end = offsetBytes + target.length
    if (this.fail && offsetBytes < this.fail.failToBytes && end > this.fail.failFromBytes) {
      throw new DeviceIoError(`read at byte ${offsetBytes} of ${this.path} failed: injected fault`)
    }
    await new Promise((resolve) => setImmediate(resolve))
    this.bytes.copy(target, 0, offsetBytes, end)
  }

  async close(): Promise<void> {}
}
