// A file whose size is known up front but whose content needs a read of all
// changed data (delta.bmap's checksums, base.sha256's old and new sums): the
// first read computes it once and keeps it; a failed computation is not
// kept, so the next reader tries again (and gets EIO meanwhile, never zeros).
import { VfsFile } from './node'

export class ComputedFile implements VfsFile {
  readonly kind = 'file'
  private content: Promise<Buffer> | undefined

  constructor(
    readonly sizeBytes: number,
    private readonly compute: () => Promise<string>,
  ) {}

  get allocatedBytes(): number {
    return this.sizeBytes
  }

  async read(target: Buffer, offsetBytes: number): Promise<number> {
    if (offsetBytes >= this.sizeBytes) return 0
    if (!this.content) {
      this.content = this.compute().then((text) => Buffer.from(text, 'latin1'))
      this.content.catch(() => (this.content = undefined))
    }
    return (await this.content).copy(target, 0, offsetBytes)
  }
}
