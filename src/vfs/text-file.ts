// A small file whose whole content is known up front: info.json, ERROR.txt.
import { VfsFile } from './node'

export class TextFile implements VfsFile {
  readonly kind = 'file'
  private readonly content: Buffer

  constructor(text: string) {
    this.content = Buffer.from(text, 'utf8')
  }

  get sizeBytes(): number {
    return this.content.length
  }

  get allocatedBytes(): number {
    return this.content.length
  }

  async read(target: Buffer, offsetBytes: number): Promise<number> {
    if (offsetBytes >= this.content.length) return 0
    return this.content.copy(target, 0, offsetBytes)
  }
}
