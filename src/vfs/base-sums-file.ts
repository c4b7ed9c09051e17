// base.sha256 (format/base-sums-text.ts): what a copied generation directory
// needs for apply's content check. Its size is known from the runs; its
// content needs the old bytes (from the COW) and the new bytes of every
// run, so the first read reads them once and keeps the result, like delta.bmap.
import { Generation } from '../generation/generation'
import { sourceFromGeneration } from '../copy/generation-source'
import { baseSumsSizeBytes, formatBaseSums } from '../copy/base-sums'
import { VfsFile } from './node'

class BaseSumsFile implements VfsFile {
  readonly kind = 'file'
  readonly sizeBytes: number
  private content: Promise<Buffer> | undefined

  constructor(private readonly generation: Generation) {
    this.sizeBytes = baseSumsSizeBytes(generation.runs)
  }

  get allocatedBytes(): number {
    return this.sizeBytes
  }

  async read(target: Buffer, offsetBytes: number): Promise<number> {
    if (offsetBytes >= this.sizeBytes) return 0
    if (!this.content) {
      this.content = this.compute()
      // A failed read is not kept: the next reader tries again.
      this.content.catch(() => (this.content = undefined))
    }
    return (await this.content).copy(target, 0, offsetBytes)
  }

  // The COW stays open only while the sums are computed.
  private async compute(): Promise<Buffer> {
    const source = sourceFromGeneration(this.generation)
    try {
      return Buffer.from(await formatBaseSums(source), 'latin1')
    } finally {
      await source.close()
    }
  }
}

/** The base.sha256 file of a generation directory. */
export function baseSumsFile(generation: Generation): VfsFile {
  return new BaseSumsFile(generation)
}
