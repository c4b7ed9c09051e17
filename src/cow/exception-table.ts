// Reads a COW device's exception table into ChunkRuns, refusing anything that
// would make the delta silently wrong.
import createDebug from 'debug'
import { CowHeader, parseCowHeader, validateCowHeader } from '../format/cow-header'
import { areaChunk, isMetadataChunk } from '../format/cow-layout'
import { parseExceptionArea } from '../format/exception-area'
import { buildChunkRuns, ChunkRuns } from '../map/chunk-runs'
import { ChunkIndexArray } from '../map/sort-chunks'
import { InvalidInputError } from '../errors'
import { DirectReader } from '../io/direct-reader'

const debug = createDebug('snapdelta:cow')

/** The reads the table reader needs; DirectReader in production, fakes in tests. */
export interface CowDevice {
  readonly path: string
  readonly sizeBytes: number
  /** What the path named when opened, where there is such a path (device-identity.ts). */
  readonly identity?: string
  allocAligned(bytes: number): Promise<Buffer>
  readInto(target: Buffer, offsetBytes: number): Promise<void>
}

export interface ExceptionTable {
  header: CowHeader
  cowPath: string
  cowSizeBytes: number
  cowIdentity?: string
  /** Exceptions read (duplicates included). */
  exceptions: number
  areasRead: number
  /** True when the COW was read with O_DIRECT. */
  direct: boolean
  /** Listed origin chunks in commit order; runsForSnapshot sorts them in place. */
  oldChunks: ChunkIndexArray
  /** The COW chunk of each entry of oldChunks (same order); only when asked for (old-content.ts). */
  newChunks?: ChunkIndexArray
  maxOldChunk: number
}

export interface ReadTableOptions {
  /** Also keep where each old chunk's saved data sits in the COW (4 or 8 bytes an exception more). */
  keepNewChunks?: boolean
}

// Beyond this many entries the array grows instead.
const MAX_PREALLOCATED_CHUNKS = 1 << 28

// Areas read ahead of the parser: one area is one chunk, areas are (E+1)
// chunks apart, so each is its own read; many in flight keep the device busy.
const AREAS_IN_FLIGHT = 64

/** Reads and validates the header and every metadata area of `device`. */
export async function readExceptionTable(device: CowDevice & { direct?: boolean }, options: ReadTableOptions = {}): Promise<ExceptionTable> {
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
  // Area a exists on the device while its chunk 1 + (E + 1) * a is inside it.
  const areasOnDevice = Math.ceil((cowChunks - 1) / (perArea + 1))
  const window = await device.allocAligned(chunkBytes * AREAS_IN_FLIGHT)
  const slot = (a: number) => window.subarray((a % AREAS_IN_FLIGHT) * chunkBytes, ((a % AREAS_IN_FLIGHT) + 1) * chunkBytes)
  // Reads run ahead of parsing; each settles to its error (or null) so that
  // one failing early is neither unhandled nor lost.
  const inFlight: Array<Promise<unknown>> = []
  const issue = (a: number) => {
    if (a < areasOnDevice) {
      inFlight[a % AREAS_IN_FLIGHT] = device.readInto(slot(a), areaChunk(a, perArea) * chunkBytes).then(
        () => null,
        (err: unknown) => err,
      )
    }
  }
  // The table cannot hold more exceptions than the COW has chunks; the
  // untouched tail of this allocation is never faulted in, so costs no resident memory.
  let store: ChunkIndexArray = new Uint32Array(Math.min(Math.max(perArea, cowChunks), MAX_PREALLOCATED_CHUNKS))
  // Every new_chunk is below cowChunks (checked below), so 4 bytes hold it on any COW under 16 TiB at 4 KiB chunks.
  let newStore: ChunkIndexArray | undefined = options.keepNewChunks
    ? cowChunks <= 0xffffffff
      ? new Uint32Array(store.length)
      : new Float64Array(store.length)
    : undefined
  const oldScratch = new Float64Array(perArea)
  const newScratch = new Float64Array(perArea)
  let count = 0
  let maxOld = -1
  let area = 0
  try {
    for (let a = 0; a < AREAS_IN_FLIGHT; a++) issue(a)
    for (; ; area++) {
      if (area >= areasOnDevice) {
        throw new InvalidInputError(
          `${source}: the exception table runs past the end of the device: area ${area - 1} is full, ` +
            `so area ${area} must follow at chunk ${areaChunk(area, perArea)}, but the device has only ${cowChunks} chunks of ${chunkBytes} bytes`,
        )
      }
      const readError = await inFlight[area % AREAS_IN_FLIGHT]
      if (readError) throw readError
      const decoded = parseExceptionArea(slot(area), perArea, oldScratch, newScratch)
      const dataStart = areaChunk(area, perArea)
      const dataEnd = areaChunk(area + 1, perArea)
      if (count + decoded.count > store.length) {
        store = grow(store, count)
        if (newStore) newStore = grow(newStore, count)
      }
      for (let e = 0; e < decoded.count; e++) {
        const newChunk = newScratch[e]
        if (newChunk >= cowChunks) {
          throw new InvalidInputError(
            `${source}: exception ${count + e} (area ${area}) points at chunk ${newChunk}, outside the COW device (${cowChunks} chunks): the table is corrupt`,
          )
        }
        // The kernel allocates an area's data chunks right after it: test that range first, and the modulo of isMetadataChunk (a double) only outside it.
        if (!(newChunk > dataStart && newChunk < dataEnd) && isMetadataChunk(newChunk, perArea)) {
          throw new InvalidInputError(
            `${source}: exception ${count + e} (area ${area}) points at chunk ${newChunk}, which is a metadata area or the header: the table is corrupt`,
          )
        }
        const old = oldScratch[e]
        if (old > maxOld) {
          maxOld = old
          if (old > 0xffffffff && store instanceof Uint32Array) store = Float64Array.from(store)
        }
        store[count + e] = old
        if (newStore) newStore[count + e] = newChunk
      }
      count += decoded.count
      if (!decoded.full) break
      issue(area + AREAS_IN_FLIGHT)
    }
  } finally {
    // Reads still in flight write into `window`; let them finish before the caller closes the device.
    await Promise.all(inFlight)
  }
  debug('%s: %d exceptions in %d areas, chunk %d bytes', source, count, area, chunkBytes)
  return {
    header,
    cowPath: source,
    cowSizeBytes: device.sizeBytes,
    cowIdentity: device.identity,
    exceptions: count,
    areasRead: area + 1,
    direct: device.direct ?? true,
    oldChunks: store.subarray(0, count),
    newChunks: newStore?.subarray(0, count),
    maxOldChunk: maxOld,
  }
}

function grow(chunks: ChunkIndexArray, used: number): ChunkIndexArray {
  const bigger = chunks instanceof Uint32Array ? new Uint32Array(chunks.length * 2) : new Float64Array(chunks.length * 2)
  bigger.set(chunks.subarray(0, used))
  return bigger
}

/** Opens a COW file or device with O_DIRECT and reads its table. */
export async function readExceptionTableFromPath(path: string, options: ReadTableOptions = {}): Promise<ExceptionTable> {
  const device = await DirectReader.open(path)
  try {
    return await readExceptionTable(device, options)
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
