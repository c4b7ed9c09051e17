// The header in chunk 0 of a dm-snapshot persistent COW device.
// Constants keep their names from the kernel's drivers/md/dm-snap-persistent.c.
import { InvalidInputError, InvalidSnapshotError } from '../errors'
import { SECTOR_BYTES } from '../units'

export const SNAP_MAGIC = 0x70416e53
export const SNAPSHOT_DISK_VERSION = 1
export const COW_HEADER_BYTES = 16
/** LVM's range of chunk sizes: 4 KiB .. 512 KiB. */
export const MIN_CHUNK_SECTORS = 8
export const MAX_CHUNK_SECTORS = 1024
/** Size of one on-disk exception: { old_chunk u64, new_chunk u64 }. */
export const DISK_EXCEPTION_BYTES = 16

export interface CowHeader {
  magic: number
  valid: boolean
  version: number
  chunkSizeSectors: number
  chunkSizeBytes: number
  /** Exceptions per metadata area (the kernel's exceptions_per_area). */
  exceptionsPerArea: number
}

/** Decodes the 16-byte header; only decodes, see validateCowHeader for the checks. */
export function parseCowHeader(bytes: Buffer): CowHeader {
  if (bytes.length < COW_HEADER_BYTES) {
    throw new InvalidInputError(`COW header needs ${COW_HEADER_BYTES} bytes, got ${bytes.length}`)
  }
  const chunkSizeSectors = bytes.readUInt32LE(12)
  return {
    magic: bytes.readUInt32LE(0),
    valid: bytes.readUInt32LE(4) !== 0,
    version: bytes.readUInt32LE(8),
    chunkSizeSectors,
    chunkSizeBytes: chunkSizeSectors * SECTOR_BYTES,
    exceptionsPerArea: (chunkSizeSectors * SECTOR_BYTES) / DISK_EXCEPTION_BYTES,
  }
}

/** Refuses a header snapdelta must not use; `source` names the device in the message. */
export function validateCowHeader(header: CowHeader, source: string): void {
  if (header.magic === 0) {
    throw new InvalidInputError(
      `${source}: not an initialised snapshot COW device: the header magic is 0 (expected 0x${hex(SNAP_MAGIC)} "SnAp"); ` +
        'the kernel has never activated a snapshot on it',
    )
  }
  if (header.magic !== SNAP_MAGIC) {
    throw new InvalidInputError(
      `${source}: not a dm-snapshot COW device: header magic is 0x${hex(header.magic)}, expected 0x${hex(SNAP_MAGIC)} ("SnAp")`,
    )
  }
  if (header.version !== SNAPSHOT_DISK_VERSION) {
    throw new InvalidInputError(
      `${source}: unsupported COW format version ${header.version}, expected ${SNAPSHOT_DISK_VERSION}`,
    )
  }
  const c = header.chunkSizeSectors
  if (c < MIN_CHUNK_SECTORS || c > MAX_CHUNK_SECTORS || (c & (c - 1)) !== 0) {
    throw new InvalidInputError(
      `${source}: bad chunk size ${c} sectors in the COW header, expected a power of two from ${MIN_CHUNK_SECTORS} to ${MAX_CHUNK_SECTORS} sectors (4 KiB to 512 KiB)`,
    )
  }
  if (!header.valid) {
    throw new InvalidSnapshotError(
      `${source}: the kernel marked this snapshot invalid (header valid = 0: it overflowed or its COW had an I/O error). ` +
        'Its exception table is incomplete, so a delta computed from it would silently miss changes: ' +
        'make a full copy of the new snapshot instead (or a checksum resync)',
    )
  }
}

/** Encodes a header; used by the COW writer. */
export function encodeCowHeader(header: { valid: boolean; chunkSizeSectors: number; magic?: number; version?: number }): Buffer {
  const bytes = Buffer.alloc(COW_HEADER_BYTES)
  bytes.writeUInt32LE(header.magic ?? SNAP_MAGIC, 0)
  bytes.writeUInt32LE(header.valid ? 1 : 0, 4)
  bytes.writeUInt32LE(header.version ?? SNAPSHOT_DISK_VERSION, 8)
  bytes.writeUInt32LE(header.chunkSizeSectors, 12)
  return bytes
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0')
}
