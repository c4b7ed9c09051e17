// The undo record (DIR/undo/NNNNNN.undo): for one generation N of a history,
// the bytes TARGET held (state N-1) in every run that generation overwrote.
// Pure: bytes in, typed values out; src/history/undo-file.ts does the I/O.
//
// Layout (all integers little-endian):
//   header      HEADER_BYTES: magic, version, seq, sizes, counts, the run
//               table's SHA-256, then the SHA-256 of everything before it
//   run table   16 bytes a run: offset u64, length u64 (bytes; ascending,
//               non-overlapping, chunk-aligned except at the device's end)
//   data        the runs' old bytes, concatenated
//   checksums   SHA-256 of each checksumBlockBytes block of the data (the
//               last may be short): a read verifies only the blocks it touches
import { createHash } from 'crypto'
import { InvalidInputError } from '../errors'

export const UNDO_MAGIC = Buffer.from('SDUNDO\r\n', 'latin1')
export const UNDO_VERSION = 1
export const HEADER_BYTES = 128
export const RUN_ENTRY_BYTES = 16
export const CHECKSUM_BYTES = 32
export const DEFAULT_CHECKSUM_BLOCK_BYTES = 64 * 1024
// Offset of the header's own checksum: it covers bytes [0, HEADER_SUM_AT).
const HEADER_SUM_AT = HEADER_BYTES - CHECKSUM_BYTES
const MIN_BLOCK_BYTES = 4096
const MAX_BLOCK_BYTES = 16 * 1024 * 1024
// Offsets above 2^53 cannot be JavaScript numbers exactly: refuse them, never round.
const MAX_SAFE = Number.MAX_SAFE_INTEGER

export interface UndoHeader {
  version: number
  seq: number
  deviceSizeBytes: number
  chunkSizeBytes: number
  runCount: number
  dataBytes: number
  checksumBlockBytes: number
  /** SHA-256 of the run table. */
  runTableSha256: Buffer
}

/** Where each part of an undo file starts, and its total size. */
export interface UndoLayout {
  runTableAt: number
  dataAt: number
  checksumsAt: number
  checksumBlocks: number
  fileBytes: number
}

/** The offsets of every part of the file `header` describes. */
export function undoLayout(header: UndoHeader): UndoLayout {
  const runTableAt = HEADER_BYTES
  const dataAt = runTableAt + header.runCount * RUN_ENTRY_BYTES
  const checksumsAt = dataAt + header.dataBytes
  const checksumBlocks = Math.ceil(header.dataBytes / header.checksumBlockBytes)
  return { runTableAt, dataAt, checksumsAt, checksumBlocks, fileBytes: checksumsAt + checksumBlocks * CHECKSUM_BYTES }
}

/** The header's bytes, with its checksum. */
export function encodeUndoHeader(header: UndoHeader): Buffer {
  const b = Buffer.alloc(HEADER_BYTES)
  UNDO_MAGIC.copy(b, 0)
  b.writeUInt32LE(header.version, 8)
  b.writeUInt32LE(header.checksumBlockBytes, 12)
  b.writeBigUInt64LE(BigInt(header.seq), 16)
  b.writeBigUInt64LE(BigInt(header.deviceSizeBytes), 24)
  b.writeBigUInt64LE(BigInt(header.chunkSizeBytes), 32)
  b.writeBigUInt64LE(BigInt(header.runCount), 40)
  b.writeBigUInt64LE(BigInt(header.dataBytes), 48)
  header.runTableSha256.copy(b, 56)
  sha256(b.subarray(0, HEADER_SUM_AT)).copy(b, HEADER_SUM_AT)
  return b
}

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest()
}

/**
 * Decodes and checks a header read from `source`, a file of `fileBytes`
 * bytes: refuses anything that would make a reader allocate or seek past
 * what the file holds.
 */
export function parseUndoHeader(b: Buffer, fileBytes: number, source: string): UndoHeader {
  const bad = (what: string) =>
    new InvalidInputError(`${source}: not a usable snapdelta undo record: ${what}; the history cannot restore the generations that need it`)
  if (b.length < HEADER_BYTES || fileBytes < HEADER_BYTES) throw bad(`it is ${fileBytes} bytes long, shorter than its ${HEADER_BYTES}-byte header`)
  if (!b.subarray(0, 8).equals(UNDO_MAGIC)) throw bad(`expected the magic "SDUNDO\\r\\n", got ${JSON.stringify(b.subarray(0, 8).toString('latin1'))}`)
  if (!sha256(b.subarray(0, HEADER_SUM_AT)).equals(b.subarray(HEADER_SUM_AT, HEADER_BYTES))) throw bad('its header checksum does not match (corrupt header)')
  const version = b.readUInt32LE(8)
  if (version !== UNDO_VERSION) throw bad(`version ${version}, this snapdelta reads version ${UNDO_VERSION} (upgrade snapdelta)`)
  const u64 = (at: number, name: string) => {
    const v = b.readBigUInt64LE(at)
    if (v > BigInt(MAX_SAFE)) throw bad(`${name} ${v} is beyond 2^53`)
    return Number(v)
  }
  const header: UndoHeader = {
    version,
    checksumBlockBytes: b.readUInt32LE(12),
    seq: u64(16, 'seq'),
    deviceSizeBytes: u64(24, 'device size'),
    chunkSizeBytes: u64(32, 'chunk size'),
    runCount: u64(40, 'run count'),
    dataBytes: u64(48, 'data size'),
    runTableSha256: Buffer.from(b.subarray(56, 56 + CHECKSUM_BYTES)),
  }
  const block = header.checksumBlockBytes
  if (block < MIN_BLOCK_BYTES || block > MAX_BLOCK_BYTES || (block & (block - 1)) !== 0) {
    throw bad(`checksum block size ${block}, expected a power of two from ${MIN_BLOCK_BYTES} to ${MAX_BLOCK_BYTES}`)
  }
  if (header.chunkSizeBytes < 512 || header.chunkSizeBytes % 512 !== 0) throw bad(`chunk size ${header.chunkSizeBytes}, expected a multiple of 512`)
  if (header.dataBytes > header.deviceSizeBytes) throw bad(`${header.dataBytes} data bytes for a ${header.deviceSizeBytes}-byte device`)
  // Each run holds at least one byte: more runs than data bytes is corrupt (and would allocate for nothing).
  if (header.runCount > header.dataBytes) throw bad(`${header.runCount} runs for ${header.dataBytes} data bytes`)
  const expected = undoLayout(header).fileBytes
  if (expected !== fileBytes) throw bad(`the header describes a ${expected}-byte file, the file has ${fileBytes} bytes (truncated or padded)`)
  return header
}

/** Run table as two arrays of bytes: offsets and lengths. */
export interface UndoRunTable {
  offsetBytes: Float64Array
  lengthBytes: Float64Array
}

/** The run table's bytes. */
export function encodeRunTable(table: UndoRunTable): Buffer {
  const b = Buffer.alloc(table.offsetBytes.length * RUN_ENTRY_BYTES)
  for (let i = 0; i < table.offsetBytes.length; i++) {
    b.writeBigUInt64LE(BigInt(table.offsetBytes[i]), i * RUN_ENTRY_BYTES)
    b.writeBigUInt64LE(BigInt(table.lengthBytes[i]), i * RUN_ENTRY_BYTES + 8)
  }
  return b
}

/** Decodes the run table and checks it against `header`: checksum, order, alignment, bounds, total. */
export function parseRunTable(b: Buffer, header: UndoHeader, source: string): UndoRunTable {
  const bad = (what: string) => new InvalidInputError(`${source}: the undo record's run table is corrupt: ${what}`)
  if (b.length !== header.runCount * RUN_ENTRY_BYTES) throw bad(`expected ${header.runCount * RUN_ENTRY_BYTES} bytes, got ${b.length}`)
  if (!sha256(b).equals(header.runTableSha256)) throw bad('its checksum does not match the header')
  const offsetBytes = new Float64Array(header.runCount)
  const lengthBytes = new Float64Array(header.runCount)
  const chunk = header.chunkSizeBytes
  let previousEnd = 0
  let total = 0
  for (let i = 0; i < header.runCount; i++) {
    const offset = b.readBigUInt64LE(i * RUN_ENTRY_BYTES)
    const length = b.readBigUInt64LE(i * RUN_ENTRY_BYTES + 8)
    if (offset > BigInt(MAX_SAFE) || length > BigInt(MAX_SAFE)) throw bad(`run ${i} is beyond 2^53`)
    const o = Number(offset)
    const n = Number(length)
    const end = o + n
    if (n === 0) throw bad(`run ${i} at ${o} is empty`)
    if (o < previousEnd) throw bad(`run ${i} at ${o} starts before the previous run ends (${previousEnd}): not ascending`)
    if (end > header.deviceSizeBytes) throw bad(`run ${i} (${o}+${n}) ends past the device (${header.deviceSizeBytes} bytes)`)
    if (o % chunk !== 0 || (n % chunk !== 0 && end !== header.deviceSizeBytes)) throw bad(`run ${i} (${o}+${n}) is not aligned to ${chunk}-byte chunks`)
    offsetBytes[i] = o
    lengthBytes[i] = n
    previousEnd = end
    total += n
  }
  if (total !== header.dataBytes) throw bad(`the runs hold ${total} bytes, the header says ${header.dataBytes}`)
  return { offsetBytes, lengthBytes }
}
