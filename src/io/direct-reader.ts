// Reads that bypass the page cache, for COW devices: the kernel writes the
// exception table with bios that skip the page cache of the -cow device node,
// so a buffered read can return pages cached by an earlier run (the classic
// "backup and snapshot differ" failure). O_DIRECT is the only read that is
// always fresh. Some filesystems refuse O_DIRECT on regular files (tmpfs); a
// regular file has no second writer bypassing its cache, so buffered is safe there.
import { constants, promises as fsp, Stats } from 'fs'
import createDebug from 'debug'
import { deviceSizeBytes } from './device-size'
import { identityOf } from './device-identity'
import { openDataFile } from './open-data-file'
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
    /** What the path named when opened (see device-identity.ts). */
    readonly identity: string,
  ) {}

  /** Opens `path` with O_DIRECT, falling back to buffered reads for regular files only. */
  static async open(path: string): Promise<DirectReader> {
    try {
      const { handle, stats } = await openDataFile(path, constants.O_RDONLY | constants.O_DIRECT, 'cannot read the COW')
      return await DirectReader.sized(path, true, handle, stats)
    } catch (err) {
      if (err instanceof InvalidInputError) throw err
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') {
        throw new InvalidInputError(`cannot open ${path} with O_DIRECT: ${(err as Error).message}`, { cause: err })
      }
    }
    // O_DIRECT refused: acceptable for a regular file only (see the top of this file).
    let opened
    try {
      opened = await openDataFile(path, constants.O_RDONLY, 'cannot read the COW')
    } catch (err) {
      if (err instanceof InvalidInputError) throw err
      throw new InvalidInputError(`cannot open ${path}: ${(err as Error).message}`, { cause: err })
    }
    if (!opened.stats.isFile()) {
      await opened.handle.close()
      throw new InvalidInputError(`cannot open ${path} with O_DIRECT: the device refuses it, and a buffered read of a COW device can be stale`)
    }
    debug('%s: O_DIRECT refused by the filesystem, reading a regular file buffered', path)
    return DirectReader.sized(path, false, opened.handle, opened.stats)
  }

  private static async sized(path: string, direct: boolean, handle: fsp.FileHandle, stats: Stats): Promise<DirectReader> {
    try {
      return new DirectReader(path, await deviceSizeBytes(path, stats), direct, handle, identityOf(stats))
    } catch (err) {
      await handle.close()
      throw err
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
