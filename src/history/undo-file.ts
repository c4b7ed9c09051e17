// Reading undo records (format: src/history/undo-format.ts; written by
// undo-writer.ts). Reads verify the SHA-256 of every checksum block they
// touch: a corrupt block is an error, never bytes.
import { constants, promises as fsp } from 'fs'
import { DeviceIoError, InvalidInputError, ioError } from '../errors'
import { ChunkRuns } from '../map/chunk-runs'
import { readFully } from '../io/read-fully'
import { CHECKSUM_BYTES, HEADER_BYTES, parseRunTable, parseUndoHeader, sha256, UndoHeader, undoLayout, UndoLayout } from './undo-format'

/** What the index records about an undo file, to recognise it later. */
export interface UndoFileFacts {
  /** File name inside DIR/undo/. */
  file: string
  bytes: number
  /** SHA-256 (hex) of the 128-byte header, which holds the run table's checksum. */
  headerSha256: string
}

/** fsync of a directory: makes a rename or removal in it durable. */
export async function syncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined
  try {
    handle = await fsp.open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW)
    await handle.sync()
  } catch (err) {
    throw ioError('flushing the directory', dir, err)
  } finally {
    await handle?.close()
  }
}

/** An undo record open for reading: its runs, and verified reads of the old bytes. */
export class UndoFile {
  private constructor(
    readonly path: string,
    readonly header: UndoHeader,
    /** The runs this generation overwrote. */
    readonly runs: ChunkRuns,
    /** dataStartBytes[i]: where run i's old bytes start in the data. */
    private readonly dataStartBytes: Float64Array,
    private readonly layout: UndoLayout,
    private readonly handle: fsp.FileHandle,
  ) {}

  /** Opens `filePath` (never through a symlink) and checks it is the record `expected` describes. */
  static async open(filePath: string, expected: { seq: number; deviceSizeBytes: number; headerSha256: string }): Promise<UndoFile> {
    let handle: fsp.FileHandle
    try {
      handle = await fsp.open(filePath, constants.O_RDONLY | constants.O_NOFOLLOW)
    } catch (err) {
      throw new InvalidInputError(`cannot open the undo record ${filePath}: ${(err as Error).message}; the generations that need it cannot be restored`, { cause: err })
    }
    try {
      const stats = await handle.stat()
      if (!stats.isFile()) throw new InvalidInputError(`${filePath}: the undo record is not a regular file`)
      const headerBytes = Buffer.alloc(HEADER_BYTES)
      if (stats.size >= HEADER_BYTES) await readFully(handle.fd, filePath, headerBytes, 0)
      const header = parseUndoHeader(headerBytes, stats.size, filePath)
      const mismatch = (what: string) => new InvalidInputError(`${filePath}: ${what}: it is not the undo record the history index names (replaced or corrupt)`)
      if (sha256(headerBytes).toString('hex') !== expected.headerSha256) throw mismatch('its header checksum differs from history.json')
      if (header.seq !== expected.seq) throw mismatch(`it is generation ${header.seq}, expected ${expected.seq}`)
      if (header.deviceSizeBytes !== expected.deviceSizeBytes) throw mismatch(`it is for a ${header.deviceSizeBytes}-byte device, expected ${expected.deviceSizeBytes}`)
      const layout = undoLayout(header)
      const tableBytes = Buffer.alloc(layout.dataAt - layout.runTableAt)
      await readFully(handle.fd, filePath, tableBytes, layout.runTableAt)
      const table = parseRunTable(tableBytes, header, filePath)
      const starts = new Float64Array(header.runCount)
      const lengths = new Uint32Array(header.runCount)
      const dataStartBytes = new Float64Array(header.runCount)
      for (let i = 0, at = 0; i < header.runCount; i++) {
        starts[i] = table.offsetBytes[i] / header.chunkSizeBytes
        const chunks = Math.ceil(table.lengthBytes[i] / header.chunkSizeBytes)
        if (chunks > 0xffffffff) throw new InvalidInputError(`${filePath}: run ${i} is ${chunks} chunks long, more than a run can hold`)
        lengths[i] = chunks
        dataStartBytes[i] = at
        at += table.lengthBytes[i]
      }
      const runs = new ChunkRuns(header.chunkSizeBytes, header.deviceSizeBytes, starts, lengths)
      return new UndoFile(filePath, header, runs, dataStartBytes, layout, handle)
    } catch (err) {
      await handle.close()
      throw err
    }
  }

  /** Fills `target` with the old bytes at device offset `offsetBytes`; the range must lie inside run `run`. */
  async readOld(target: Buffer, offsetBytes: number, run: number): Promise<void> {
    const dataAt = this.dataStartBytes[run] + offsetBytes - this.runs.offsetBytes(run)
    const block = this.header.checksumBlockBytes
    const first = Math.floor(dataAt / block)
    const last = Math.floor((dataAt + target.length - 1) / block)
    const spanStart = first * block
    const spanEnd = Math.min((last + 1) * block, this.header.dataBytes)
    const span = Buffer.allocUnsafe(spanEnd - spanStart)
    const sums = Buffer.allocUnsafe((last - first + 1) * CHECKSUM_BYTES)
    await Promise.all([
      readFully(this.handle.fd, this.path, span, this.layout.dataAt + spanStart),
      readFully(this.handle.fd, this.path, sums, this.layout.checksumsAt + first * CHECKSUM_BYTES),
    ])
    for (let k = 0; k <= last - first; k++) {
      const data = span.subarray(k * block, Math.min((k + 1) * block, span.length))
      if (!sha256(data).equals(sums.subarray(k * CHECKSUM_BYTES, (k + 1) * CHECKSUM_BYTES))) {
        throw new DeviceIoError(
          `${this.path}: checksum block ${first + k} (data bytes ${spanStart + k * block}..${spanStart + k * block + data.length}) is corrupt: ` +
            `the old bytes it holds cannot be trusted, so generations older than ${this.header.seq} cannot be read there`,
        )
      }
    }
    span.copy(target, 0, dataAt - spanStart, dataAt - spanStart + target.length)
  }

  async close(): Promise<void> {
    await this.handle.close()
  }
}
