// Reads a COW device's exception table into ChunkRuns, refusing anything that
// would make the delta silently wrong.
import createDebug from 'debug'
import { CowHeader, parseCowHeader, validateCowHeader } from '../format/cow-header'
import { areaChunk, isMetadataChunk } from '../format/cow-layout'
import { parseExceptionArea } from '../format/exception-area'
import { buildChunkRuns, ChunkRuns } from '../map/chunk-runs'
import { InvalidInputError } from '../errors'
import { DirectReader } from '../io/direct-reader'

const debug = createDebug('snapdelta:cow')

/** The reads the table reader needs; DirectReader in production, fakes in tests. */
export interface CowDevice {
  readonly path: string
  readonly sizeBytes: number
  allocAligned(bytes: number): Promise<Buffer>
  readInto(target: Buffer, offsetBytes: number): Promise<void>
}

export interface ExceptionTable {
  header: CowHeader
  cowPath: string
  cowSizeBytes: number
  /** Exceptions read (duplicates included). */
  exceptions: number
  areasRead: number
  /** True when the COW was read with O_DIRECT. */
  direct: boolean
  /** Listed origin chunks in commit order; runsForSnapshot sorts them in place. */
  oldChunks: Float64Array
  maxOldChunk: number
}

// Beyond this many entries (2 GiB of doubles) the array grows instead.
const MAX_PREALLOCATED_CHUNKS = 1 << 28

// Areas read ahead in parallel: one area is one chunk, areas are (E+1) chunks apart.
const AREAS_PER_BATCH = 32

/** Reads and validates the header and every metadata area of `device`. */
export async function readExceptionTable(device: CowDevice & { direct?: boolean }): Promise<ExceptionTable> {
  const source = device.path
  if (device.sizeBytes < 4096) {
    throw new InvalidInputError(`${source}: ${device.sizeBytes} bytes is too small for a snapshot COW device (at least one 4 KiB chunk)`)
  }
  const first = await device.allocAligned(4096)
  await device.readInto(first, 0)
  const header = parseCowHeader(first)
  validateCowHeader(header, source)
  const chunkBytes = header.chunkSizeBytes
  const perArea = header.exceptionsPerArea
  const cowChunks = Math.floor(device.sizeBytes / chunkBytes)
  if (cowChunks < 2) {
    throw new InvalidInputError(`${source}: ${device.sizeBytes} bytes holds no metadata area at chunk size ${chunkBytes} bytes`)
  }
  // The table cannot hold more exceptions than the COW has data chunks; the
  // untouched tail of this allocation is never faulted in, so costs no resident memory.
  let oldChunks: Float64Array = new Float64Array(Math.min(Math.max(perArea, cowChunks), MAX_PREALLOCATED_CHUNKS))
  const newChunks = new Float64Array(perArea)
  const batch = await device.allocAligned(chunkBytes * AREAS_PER_BATCH)
  let count = 0
  let maxOld = -1
  let area = 0
  let done = false
  while (!done) {
    const batchAreas: number[] = []
    for (let a = area; a < area + AREAS_PER_BATCH; a++) {
      if (areaChunk(a, perArea) >= cowChunks) break
      batchAreas.push(a)
    }
    if (batchAreas.length === 0) {
      throw new InvalidInputError(
        `${source}: the exception table runs past the end of the device: area ${area - 1} is full, ` +
          `so area ${area} must follow at chunk ${areaChunk(area, perArea)}, but the device has only ${cowChunks} chunks of ${chunkBytes} bytes`,
      )
    }
    await Promise.all(
      batchAreas.map((a, i) =>
        device.readInto(batch.subarray(i * chunkBytes, (i + 1) * chunkBytes), areaChunk(a, perArea) * chunkBytes),
      ),
    )
    for (let i = 0; i < batchAreas.length && !done; i++) {
      const a = batchAreas[i]
      if (count + perArea > oldChunks.length) oldChunks = grow(oldChunks, count)
      const decoded = parseExceptionArea(batch.subarray(i * chunkBytes, (i + 1) * chunkBytes), perArea, oldChunks, newChunks, count)
      for (let e = 0; e < decoded.count; e++) {
        const newChunk = newChunks[e]
        if (newChunk >= cowChunks) {
          throw new InvalidInputError(
            `${source}: exception ${count + e} (area ${a}) points at chunk ${newChunk}, outside the COW device (${cowChunks} chunks): the table is corrupt`,
          )
        }
        if (isMetadataChunk(newChunk, perArea)) {
          throw new InvalidInputError(
            `${source}: exception ${count + e} (area ${a}) points at chunk ${newChunk}, which is a metadata area or the header: the table is corrupt`,
          )
        }
        const old = oldChunks[count + e]
        if (old > maxOld) maxOld = old
      }
      count += decoded.count
      area = a + 1
      if (!decoded.full) done = true
    }
  }
  debug('%s: %d exceptions in %d areas, chunk %d bytes', source, count, area, chunkBytes)
  return {
    header,
    cowPath: source,
    cowSizeBytes: device.sizeBytes,
    exceptions: count,
    areasRead: area,
    direct: device.direct ?? true,
    oldChunks: oldChunks.subarray(0, count),
    maxOldChunk: maxOld,
  }
}

function grow(chunks: Float64Array, used: number): Float64Array {
  const bigger = new Float64Array(chunks.length * 2)
  bigger.set(chunks.subarray(0, used))
  return bigger
}

/** Opens a COW file or device with O_DIRECT and reads its table. */
export async function readExceptionTableFromPath(path: string): Promise<ExceptionTable> {
  const device = await DirectReader.open(path)
  try {
    return await readExceptionTable(device)
  } finally {
    await device.close()
  }
}

/**
 * The changed runs for a new snapshot of `snapshotSizeBytes`: refuses a
 * snapshot that does not contain every listed chunk (wrong device or sizes).
 */
export function runsForSnapshot(table: ExceptionTable, snapshotPath: string, snapshotSizeBytes: number): ChunkRuns {
  const chunkBytes = table.header.chunkSizeBytes
  if (table.maxOldChunk >= 0 && table.maxOldChunk * chunkBytes >= snapshotSizeBytes) {
    throw new InvalidInputError(
      `${snapshotPath} is ${snapshotSizeBytes} bytes, but ${table.cowPath} lists chunk ${table.maxOldChunk} ` +
        `(byte ${table.maxOldChunk * chunkBytes}): the snapshot must be the whole volume the COW belongs to ` +
        '(wrong device, or the volume was resized)',
    )
  }
  return buildChunkRuns(table.oldChunks, table.exceptions, chunkBytes, snapshotSizeBytes)
}
