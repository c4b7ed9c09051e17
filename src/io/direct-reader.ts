// Reads that bypass the page cache, for COW devices: the kernel writes the
// exception table with bios that skip the page cache of the -cow device node,
// so a buffered read can return pages cached by an earlier run (the classic
// "backup and snapshot differ" failure). O_DIRECT is the only read that is
// always fresh. Some filesystems refuse O_DIRECT on regular files (tmpfs); a
// regular file has no second writer bypassing its cache, so buffered is safe there.
import { constants, promises as fsp } from 'fs'
import createDebug from 'debug'
import { deviceSizeBytes } from './device-size'
import { readFully } from './read-fully'
import { DeviceIoError, InvalidInputError, ioError } from '../errors'

const debug = createDebug('snapdelta:io')
const ALIGN_BYTES = 4096

export class DirectReader {
  private constructor(
    readonly path: string,
    readonly sizeBytes: number,
    readonly direct: boolean,
    private readonly handle: fsp.FileHandle,
  ) {}

  /** Opens `path` with O_DIRECT, falling back to buffered reads for regular files only. */
  static async open(path: string): Promise<DirectReader> {
    let handle: fsp.FileHandle
    let stats
    try {
      stats = await fsp.stat(path)
    } catch (err) {
      throw new InvalidInputError(`cannot open ${path}: ${(err as Error).message}`, { cause: err })
    }
    try {
      handle = await fsp.open(path, constants.O_RDONLY | constants.O_DIRECT)
      return new DirectReader(path, await deviceSizeBytes(path, stats), true, handle)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EINVAL' || !stats.isFile()) {
        throw new InvalidInputError(`cannot open ${path} with O_DIRECT: ${(err as Error).message}`, { cause: err })
      }
      debug('%s: O_DIRECT refused by the filesystem, reading a regular file buffered', path)
      handle = await fsp.open(path, 'r')
      return new DirectReader(path, stats.size, false, handle)
    }
  }

  /**
   * A buffer of `bytes` (a multiple of 4096) whose memory the kernel accepts
   * for O_DIRECT. Node cannot ask for aligned memory or tell an address, so
   * this over-allocates and lets the kernel say which offset is aligned: an
   * unaligned O_DIRECT read fails at once with EINVAL.
   */
  async allocAligned(bytes: number): Promise<Buffer> {
    const raw = Buffer.allocUnsafeSlow(bytes + ALIGN_BYTES)
    if (!this.direct) return raw.subarray(0, bytes)
    const probeBytes = Math.min(ALIGN_BYTES, this.sizeBytes - (this.sizeBytes % ALIGN_BYTES))
    for (let shift = 0; shift < ALIGN_BYTES; shift += 8) {
      try {
        await this.handle.read(raw, shift, probeBytes, 0)
        return raw.subarray(shift, shift + bytes)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw ioError('O_DIRECT read of', this.path, err)
      }
    }
    throw new DeviceIoError(`${this.path}: no buffer alignment accepted for O_DIRECT reads`)
  }

  /** Fills `target` (from allocAligned, length a multiple of 4096) from `offsetBytes`. */
  async readInto(target: Buffer, offsetBytes: number): Promise<void> {
    await readFully(this.handle.fd, this.path, target, offsetBytes)
  }

  async close(): Promise<void> {
    await this.handle.close()
  }
}
