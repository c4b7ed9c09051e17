// One metadata area: exceptionsPerArea entries of { old_chunk u64, new_chunk u64 },
// little-endian, ending at the first entry whose new_chunk is 0.
import { DISK_EXCEPTION_BYTES } from './cow-header'

const TWO_POW_32 = 0x1_0000_0000

export interface DecodedArea {
  /** Entries before the terminator. */
  count: number
  /** True when every slot is used: the reader must go on to the next area. */
  full: boolean
}

/**
 * Decodes an area into the caller's scratch arrays (indices as doubles: exact
 * below 2^53, far beyond any device) and says how many entries it holds.
 */
export function parseExceptionArea(
  bytes: Buffer,
  exceptionsPerArea: number,
  oldChunks: Float64Array,
  newChunks: Float64Array,
): DecodedArea {
  // A 4-byte-aligned view reads far faster than readUInt32LE per field; the
  // format is little-endian like every host snapdelta runs on (x86, arm64).
  const words =
    bytes.byteOffset % 4 === 0
      ? new Uint32Array(bytes.buffer, bytes.byteOffset, exceptionsPerArea * 4)
      : new Uint32Array(Uint8Array.prototype.slice.call(bytes, 0, exceptionsPerArea * DISK_EXCEPTION_BYTES).buffer)
  for (let i = 0; i < exceptionsPerArea; i++) {
    const w = i * 4
    const newChunk = words[w + 2] + words[w + 3] * TWO_POW_32
    if (newChunk === 0) return { count: i, full: false }
    oldChunks[i] = words[w] + words[w + 1] * TWO_POW_32
    newChunks[i] = newChunk
  }
  return { count: exceptionsPerArea, full: true }
}

/** Encodes entries into an area buffer of chunkSizeBytes; used by the COW writer. */
export function encodeExceptionArea(
  chunkSizeBytes: number,
  entries: ReadonlyArray<readonly [oldChunk: number, newChunk: number]>,
): Buffer {
  const bytes = Buffer.alloc(chunkSizeBytes)
  entries.forEach(([oldChunk, newChunk], i) => {
    bytes.writeBigUInt64LE(BigInt(oldChunk), i * DISK_EXCEPTION_BYTES)
    bytes.writeBigUInt64LE(BigInt(newChunk), i * DISK_EXCEPTION_BYTES + 8)
  })
  return bytes
}
