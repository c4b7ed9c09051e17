// Writing and reading undo records (format: src/history/undo-format.ts).
// Written under a temporary name and renamed into place once flushed, so a
// record under its final name is always complete. Reads verify the SHA-256 of
// every checksum block they touch: a corrupt block is an error, never bytes.
import { randomBytes } from 'crypto'
import { constants, promises as fsp } from 'fs'
import path from 'path'
import { DeviceIoError, InvalidInputError, ioError } from '../errors'
import { ChunkRuns } from '../map/chunk-runs'
import { forEachPiece } from '../copy/pieces'
import { readFully } from '../io/read-fully'
import { createNewFile } from '../io/private-file'
import {
  CHECKSUM_BYTES, DEFAULT_CHECKSUM_BLOCK_BYTES, encodeRunTable, encodeUndoHeader, HEADER_BYTES, parseRunTable,
  parseUndoHeader, sha256, UNDO_VERSION, UndoHeader, undoLayout, UndoLayout,
} from './undo-format'

// Undo pieces read and written at once, as apply keeps its pieces in flight.
const UNDO_PIECES_IN_FLIGHT = 4

/** Fills `target` with what TARGET holds (before the write) at `offsetBytes`. */
export type ReadOld = (target: Buffer, offsetBytes: number) => Promise<void>

/** What the index records about an undo file, to recognise it later. */
export interface UndoFileFacts {
  /** File name inside DIR/undo/. */
  file: string
  bytes: number
  /** SHA-256 (hex) of the 128-byte header, which holds the run table's checksum. */
  headerSha256: string
}

// Data written per step: a whole number of checksum blocks.
const PIECE_BLOCKS = 16

/** Name of the undo file of generation `seq`. */
export function undoFileName(seq: number): string {
  return `${String(seq).padStart(6, '0')}.undo`
}

/** Writes the undo file of generation `seq` into `undoDir`: old bytes of every run of `runs`, from `readOld`; flushed. */
export async function writeUndoFile(
  undoDir: string,
  seq: number,
  runs: ChunkRuns,
  readOld: ReadOld,
  checksumBlockBytes = DEFAULT_CHECKSUM_BLOCK_BYTES,
): Promise<UndoFileFacts> {
  const file = undoFileName(seq)
  const finalPath = path.join(undoDir, file)
  const temp = `${finalPath}.partial-${process.pid}-${randomBytes(4).toString('hex')}`
  const table = { offsetBytes: new Float64Array(runs.count), lengthBytes: new Float64Array(runs.count) }
  for (let i = 0; i < runs.count; i++) {
    table.offsetBytes[i] = runs.offsetBytes(i)
    table.lengthBytes[i] = runs.lengthBytes(i)
  }
  const runTable = encodeRunTable(table)
  const header: UndoHeader = {
    version: UNDO_VERSION, seq, deviceSizeBytes: runs.deviceSizeBytes, chunkSizeBytes: runs.chunkSizeBytes,
    runCount: runs.count, dataBytes: runs.changedBytes, checksumBlockBytes, runTableSha256: sha256(runTable),
  }
  const headerBytes = encodeUndoHeader(header)
  const layout = undoLayout(header)
  let handle: fsp.FileHandle | undefined
  try {
    handle = await createNewFile(temp).catch((err) => { throw ioError('creating the undo record', temp, err) })
    await writeAll(handle, headerBytes, 0, temp)
    await writeAll(handle, runTable, layout.runTableAt, temp)
    await writeData(handle, temp, runs, readOld, header, layout)
    await handle.sync().catch((err) => { throw ioError('flushing the undo record', temp, err) })
    await handle.close()
    handle = undefined
    await fsp.rename(temp, finalPath).catch((err) => { throw ioError('renaming the undo record to', finalPath, err) })
    await syncDir(undoDir)
  } catch (err) {
    await handle?.close().catch(() => undefined)
    await fsp.rm(temp, { force: true }).catch(() => undefined)
    throw err
  }
  return { file, bytes: layout.fileBytes, headerSha256: sha256(headerBytes).toString('hex') }
}

// The data in pieces of PIECE_BLOCKS checksum blocks, each piece gathered across runs, and its checksums.
async function writeData(handle: fsp.FileHandle, where: string, runs: ChunkRuns, readOld: ReadOld, header: UndoHeader, layout: UndoLayout): Promise<void> {
  const pieceBytes = header.checksumBlockBytes * PIECE_BLOCKS
  // Where each run starts in the data area: a piece of the data maps back to the runs it covers.
  const runDataStart = new Float64Array(runs.count + 1)
  for (let i = 0; i < runs.count; i++) runDataStart[i + 1] = runDataStart[i] + runs.lengthBytes(i)
  const pieces = function* () {
    for (let dataAt = 0; dataAt < header.dataBytes; dataAt += pieceBytes) yield { offsetBytes: dataAt, lengthBytes: Math.min(pieceBytes, header.dataBytes - dataAt) }
  }
  // Several pieces in flight: reading the old bytes of one while another is hashed and written (each lands at its own offset).
  await forEachPiece(pieces(), pieceBytes, UNDO_PIECES_IN_FLIGHT, async (piece, buffer) => {
    let run = runContaining(runDataStart, piece.offsetBytes)
    for (let filled = 0; filled < piece.lengthBytes; run++) {
      const withinRun = piece.offsetBytes + filled - runDataStart[run]
      const take = Math.min(piece.lengthBytes - filled, runs.lengthBytes(run) - withinRun)
      await readOld(buffer.subarray(filled, filled + take), runs.offsetBytes(run) + withinRun)
      filled += take
    }
    const sums = Buffer.alloc(Math.ceil(piece.lengthBytes / header.checksumBlockBytes) * CHECKSUM_BYTES)
    for (let at = 0, k = 0; at < piece.lengthBytes; at += header.checksumBlockBytes, k++) {
      sha256(buffer.subarray(at, Math.min(at + header.checksumBlockBytes, piece.lengthBytes))).copy(sums, k * CHECKSUM_BYTES)
    }
    await writeAll(handle, buffer, layout.dataAt + piece.offsetBytes, where)
    await writeAll(handle, sums, layout.checksumsAt + (piece.offsetBytes / header.checksumBlockBytes) * CHECKSUM_BYTES, where)
  })
}

// The run whose data starts at or before `dataAt` (binary search over the runs' data offsets).
function runContaining(runDataStart: Float64Array, dataAt: number): number {
  let lo = 0
  let hi = runDataStart.length - 2
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1
    if (runDataStart[mid] <= dataAt) lo = mid
    else hi = mid - 1
  }
  return lo
}

async function writeAll(handle: fsp.FileHandle, data: Buffer, positionBytes: number, where: string): Promise<void> {
  for (let done = 0; done < data.length; ) {
    try {
      done += (await handle.write(data, done, data.length - done, positionBytes + done)).bytesWritten
    } catch (err) {
      throw ioError(`writing ${data.length} bytes at ${positionBytes + done} of the undo record`, where, err)
    }
  }
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
