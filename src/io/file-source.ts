// BlockSource over a file or block device, read through the page cache.
// Used for the snapshot side: a snapshot device only changes through itself,
// so its page cache is never stale (unlike a COW device, see direct-reader.ts).
import { constants, promises as fsp } from 'fs'
import { BlockSource } from './block-source'
import { deviceSizeBytes } from './device-size'
import { identityOf } from './device-identity'
import { openDataFile } from './open-data-file'
import { readFully } from './read-fully'
import { DeviceIoError, InvalidInputError } from '../errors'

export class FileSource implements BlockSource {
  private constructor(
    readonly path: string,
    readonly sizeBytes: number,
    readonly identity: string,
    private readonly handle: fsp.FileHandle,
  ) {}

  /** Opens `path` read-only and learns its size. */
  static async open(path: string): Promise<FileSource> {
    let handle: fsp.FileHandle
    let stats
    try {
      ;({ handle, stats } = await openDataFile(path, constants.O_RDONLY, 'cannot read'))
    } catch (err) {
      if (err instanceof InvalidInputError) throw err
      throw new InvalidInputError(`cannot open ${path}: ${(err as Error).message}`, { cause: err })
    }
    try {
      const size = await deviceSizeBytes(path, stats)
      return new FileSource(path, size, identityOf(stats), handle)
    } catch (err) {
      await handle.close()
      throw err
    }
  }

  /** The file descriptor, for callers that stream large ranges themselves. */
  get fd(): number {
    return this.handle.fd
  }

  readInto(target: Buffer, offsetBytes: number): Promise<void> {
    if (offsetBytes < 0 || offsetBytes + target.length > this.sizeBytes) {
      return Promise.reject(new DeviceIoError(
        `read of ${target.length} bytes at ${offsetBytes} is outside ${this.path} (${this.sizeBytes} bytes)`,
      ))
    }
    return readFully(this.handle.fd, this.path, target, offsetBytes)
  }

  async close(): Promise<void> {
    await this.handle.close()
  }
}
