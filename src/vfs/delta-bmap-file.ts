// delta.bmap: the bmap-tools block map of delta.img (src/bmap/bmap-xml.ts).
// Its size is known from the runs; its content needs the SHA-256 of every
// run, so the first read reads all changed data once and keeps the result.
import { Generation } from '../generation/generation'
import { GenerationSource, sourceFromGeneration } from '../copy/generation-source'
import { bmapSizeBytes, formatBmap } from '../bmap/bmap-xml'
import { runChecksums } from '../bmap/range-checksums'
import { VfsFile } from './node'

class DeltaBmapFile implements VfsFile {
  readonly kind = 'file'
  readonly sizeBytes: number
  private content: Promise<Buffer> | undefined

  constructor(private readonly source: GenerationSource) {
    this.sizeBytes = bmapSizeBytes(source.runs)
  }

  get allocatedBytes(): number {
    return this.sizeBytes
  }

  async read(target: Buffer, offsetBytes: number): Promise<number> {
    if (offsetBytes >= this.sizeBytes) return 0
    if (!this.content) {
      this.content = runChecksums(this.source).then((sums) => Buffer.from(formatBmap(this.source.runs, sums), 'latin1'))
      // A failed read is not kept: the next reader tries again.
      this.content.catch(() => (this.content = undefined))
    }
    return (await this.content).copy(target, 0, offsetBytes)
  }
}

/** The delta.bmap file of a generation directory. */
export function deltaBmapFile(generation: Generation): VfsFile {
  return new DeltaBmapFile(sourceFromGeneration(generation))
}
