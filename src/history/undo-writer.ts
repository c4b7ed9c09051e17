// Writing an undo record (format: src/history/undo-format.ts). The old bytes
// arrive as the content check reads them (apply, receive), range by range in
// any order, so TARGET is read once for both; or they are pulled from a
// reader when no check fed them (fill). Written under a temporary name and
// renamed into place once flushed: a record under its final name is always
// complete.
import { createHash, Hash, randomBytes } from 'crypto'
import { promises as fsp } from 'fs'
import path from 'path'
import { ioError } from '../errors'
import { ChunkRuns } from '../map/chunk-runs'
import { forEachPiece, runPieces } from '../copy/pieces'
import { createNewFile } from '../io/private-file'
import {
  CHECKSUM_BYTES, DEFAULT_CHECKSUM_BLOCK_BYTES, encodeRunTable, encodeUndoHeader, sha256, UNDO_VERSION, UndoHeader, undoLayout, UndoLayout,
} from './undo-format'
import { syncDir, UndoFileFacts } from './undo-file'

/** Fills `target` with what TARGET holds (before the write) at `offsetBytes`. */
export type ReadOld = (target: Buffer, offsetBytes: number) => Promise<void>

// Pieces pulled at once by fill, as apply keeps its pieces in flight.
const FILL_PIECE_BYTES = 1024 * 1024
const FILL_IN_FLIGHT = 4
// Checksums written in batches: one write per 4096 blocks (256 MiB of data at 64 KiB).
const SUMS_PER_WRITE = 4096

/** Name of the undo file of generation `seq`. */
export function undoFileName(seq: number): string {
  return `${String(seq).padStart(6, '0')}.undo`
}

/** An undo record being written: `put` the old bytes of every run, then `finish`. */
export class UndoWriter {
  /** Data bytes hashed so far: the checksums need the data in order. */
  private hashedTo = 0
  /** Ranges that arrived ahead of hashedTo, copied until their turn (a few pieces in flight at most). */
  private readonly parked = new Map<number, Buffer>()
  private block: Hash = createHash('sha256')
  private blockFill = 0
  private blockIndex = 0
  private sums = Buffer.alloc(SUMS_PER_WRITE * CHECKSUM_BYTES)
  private sumsFirstBlock = 0
  private sumsCount = 0
  private readonly writes: Promise<void>[] = []
  private failure: { error: unknown } | undefined
  private handle: fsp.FileHandle | undefined

  private constructor(
    private readonly finalPath: string,
    private readonly tempPath: string,
    handle: fsp.FileHandle,
    private readonly runs: ChunkRuns,
    private readonly header: UndoHeader,
    private readonly headerBytes: Buffer,
    private readonly layout: UndoLayout,
    /** runDataStart[i]: where run i's old bytes start in the data area. */
    private readonly runDataStart: Float64Array,
  ) {
    this.handle = handle
  }

  /** Starts the undo record of generation `seq` in `undoDir`: the old bytes of every run of `runs`. */
  static async create(undoDir: string, seq: number, runs: ChunkRuns, checksumBlockBytes = DEFAULT_CHECKSUM_BLOCK_BYTES): Promise<UndoWriter> {
    const finalPath = path.join(undoDir, undoFileName(seq))
    const tempPath = `${finalPath}.partial-${process.pid}-${randomBytes(4).toString('hex')}`
    const table = { offsetBytes: new Float64Array(runs.count), lengthBytes: new Float64Array(runs.count) }
    const runDataStart = new Float64Array(runs.count + 1)
    for (let i = 0; i < runs.count; i++) {
      table.offsetBytes[i] = runs.offsetBytes(i)
      table.lengthBytes[i] = runs.lengthBytes(i)
      runDataStart[i + 1] = runDataStart[i] + table.lengthBytes[i]
    }
    const runTable = encodeRunTable(table)
    const header: UndoHeader = {
      version: UNDO_VERSION, seq, deviceSizeBytes: runs.deviceSizeBytes, chunkSizeBytes: runs.chunkSizeBytes,
      runCount: runs.count, dataBytes: runs.changedBytes, checksumBlockBytes, runTableSha256: sha256(runTable),
    }
    const headerBytes = encodeUndoHeader(header)
    const layout = undoLayout(header)
    const handle = await createNewFile(tempPath).catch((err) => { throw ioError('creating the undo record', tempPath, err) })
    const writer = new UndoWriter(finalPath, tempPath, handle, runs, header, headerBytes, layout, runDataStart)
    try {
      await writer.writeAt(headerBytes, 0)
      await writer.writeAt(runTable, layout.runTableAt)
    } catch (err) {
      await writer.abandon()
      throw err
    }
    return writer
  }

  /** True once every old byte was put. */
  get complete(): boolean {
    return this.hashedTo === this.header.dataBytes
  }

  /** True while nothing was put. */
  get empty(): boolean {
    return this.hashedTo === 0 && this.parked.size === 0
  }

  /** The old bytes `data` of TARGET at device offset `offsetBytes`, a range inside one run; each byte once, in any order. */
  async put(data: Buffer, offsetBytes: number): Promise<void> {
    const run = this.runs.findRun(offsetBytes)
    if (run < 0 || offsetBytes + data.length > this.runs.endBytes(run)) {
      throw new RangeError(`undo record ${this.tempPath}: ${data.length} bytes at ${offsetBytes} are not inside one run of the write`)
    }
    const dataAt = this.runDataStart[run] + offsetBytes - this.runs.offsetBytes(run)
    if (dataAt < this.hashedTo || this.parked.has(dataAt)) throw new RangeError(`undo record ${this.tempPath}: the bytes at ${offsetBytes} were put twice`)
    await this.writeAt(data, this.layout.dataAt + dataAt)
    // Hashing is synchronous: two puts never interleave their blocks.
    if (dataAt !== this.hashedTo) {
      this.parked.set(dataAt, Buffer.from(data))
      return
    }
    this.hash(data)
    for (let next = this.parked.get(this.hashedTo); next; next = this.parked.get(this.hashedTo)) {
      this.parked.delete(this.hashedTo)
      this.hash(next)
    }
  }

  /** Puts the old bytes of every run from `readOld` (nothing may have been put yet). */
  async fill(readOld: ReadOld): Promise<void> {
    if (!this.empty) throw new RangeError(`undo record ${this.tempPath}: fill after put`)
    await forEachPiece(runPieces(this.runs, FILL_PIECE_BYTES), FILL_PIECE_BYTES, FILL_IN_FLIGHT, async (piece, buffer) => {
      await readOld(buffer, piece.offsetBytes)
      await this.put(buffer, piece.offsetBytes)
    })
  }

  /** Writes the last checksums, flushes, and renames the record into place. */
  async finish(): Promise<UndoFileFacts> {
    if (!this.complete || this.parked.size > 0) {
      throw new RangeError(`undo record ${this.tempPath}: ${this.hashedTo} of ${this.header.dataBytes} old bytes were put`)
    }
    try {
      if (this.blockFill > 0) this.endBlock()
      this.flushSums()
      await Promise.all(this.writes)
      if (this.failure) throw this.failure.error
      const handle = this.handle!
      await handle.sync().catch((err) => { throw ioError('flushing the undo record', this.tempPath, err) })
      this.handle = undefined
      await handle.close()
      await fsp.rename(this.tempPath, this.finalPath).catch((err) => { throw ioError('renaming the undo record to', this.finalPath, err) })
      await syncDir(path.dirname(this.finalPath))
    } catch (err) {
      await this.abandon()
      throw err
    }
    return { file: path.basename(this.finalPath), bytes: this.layout.fileBytes, headerSha256: sha256(this.headerBytes).toString('hex') }
  }

  /** Closes and removes the unfinished record (the write was refused, or failed). */
  async abandon(): Promise<void> {
    const handle = this.handle
    this.handle = undefined
    await Promise.allSettled(this.writes)
    await handle?.close().catch(() => undefined)
    await fsp.rm(this.tempPath, { force: true }).catch(() => undefined)
  }

  // The data, in order, into checksum blocks.
  private hash(data: Buffer): void {
    const blockBytes = this.header.checksumBlockBytes
    for (let at = 0; at < data.length; ) {
      const take = Math.min(blockBytes - this.blockFill, data.length - at)
      this.block.update(data.subarray(at, at + take))
      this.blockFill += take
      at += take
      if (this.blockFill === blockBytes) this.endBlock()
    }
    this.hashedTo += data.length
  }

  private endBlock(): void {
    this.block.digest().copy(this.sums, this.sumsCount * CHECKSUM_BYTES)
    this.sumsCount++
    this.blockIndex++
    this.block = createHash('sha256')
    this.blockFill = 0
    if (this.sumsCount === SUMS_PER_WRITE) this.flushSums()
  }

  // Started, not awaited (hashing stays synchronous); finish awaits them all.
  private flushSums(): void {
    if (this.sumsCount === 0) return
    const batch = this.sums.subarray(0, this.sumsCount * CHECKSUM_BYTES)
    const write = this.writeAt(batch, this.layout.checksumsAt + this.sumsFirstBlock * CHECKSUM_BYTES).catch((error) => {
      this.failure ??= { error }
    })
    this.writes.push(write)
    this.sums = Buffer.alloc(SUMS_PER_WRITE * CHECKSUM_BYTES)
    this.sumsFirstBlock = this.blockIndex
    this.sumsCount = 0
  }

  private async writeAt(data: Buffer, positionBytes: number): Promise<void> {
    const handle = this.handle
    if (!handle) throw new RangeError(`undo record ${this.tempPath}: written after it was closed`)
    for (let done = 0; done < data.length; ) {
      try {
        done += (await handle.write(data, done, data.length - done, positionBytes + done)).bytesWritten
      } catch (err) {
        throw ioError(`writing ${data.length} bytes at ${positionBytes + done} of the undo record`, this.tempPath, err)
      }
    }
  }
}

/** Writes the undo file of generation `seq` into `undoDir`: old bytes of every run of `runs`, from `readOld`; flushed. */
export async function writeUndoFile(
  undoDir: string,
  seq: number,
  runs: ChunkRuns,
  readOld: ReadOld,
  checksumBlockBytes = DEFAULT_CHECKSUM_BLOCK_BYTES,
): Promise<UndoFileFacts> {
  const writer = await UndoWriter.create(undoDir, seq, runs, checksumBlockBytes)
  try {
    await writer.fill(readOld)
  } catch (err) {
    await writer.abandon()
    throw err
  }
  return writer.finish()
}
