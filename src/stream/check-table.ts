// The check table of a version-2 delta stream: after the header, before the
// records, one 80-byte entry per range (offset, length, SHA-256 of the old
// snapshot's bytes there, SHA-256 of the new snapshot's), then a 32-byte
// checksum over them all. receive hashes TARGET's content of every range
// against it before it writes the first byte. Pure code; layout and
// rationale: docs/stream-format.md.
import { createHash, Hash } from 'crypto'
import { readUInt64 } from '../format/uint64'

export const CHECK_ENTRY_BYTES = 80
export const CHECK_TABLE_CHECKSUM_BYTES = 32

export interface CheckEntry {
  offsetBytes: number
  lengthBytes: number
  /** SHA-256 of the old snapshot's bytes in the range: what a TARGET holding the base has there. */
  oldSha256: Buffer
  /** SHA-256 of the new snapshot's bytes in the range: what the records write there. */
  newSha256: Buffer
}

/** Size of a check table of `entries` entries, its checksum included. */
export function checkTableBytes(entries: number): number {
  return entries * CHECK_ENTRY_BYTES + CHECK_TABLE_CHECKSUM_BYTES
}

/** One 80-byte entry. */
export function encodeCheckEntry(e: CheckEntry): Buffer {
  const b = Buffer.alloc(CHECK_ENTRY_BYTES)
  b.writeBigUInt64LE(BigInt(e.offsetBytes), 0)
  b.writeBigUInt64LE(BigInt(e.lengthBytes), 8)
  e.oldSha256.copy(b, 16)
  e.newSha256.copy(b, 48)
  return b
}

/** Decodes an 80-byte entry (its place is checked by the reader, which knows the runs and the device). */
export function decodeCheckEntry(b: Buffer): CheckEntry {
  return { offsetBytes: readUInt64(b, 0), lengthBytes: readUInt64(b, 8), oldSha256: Buffer.from(b.subarray(16, 48)), newSha256: Buffer.from(b.subarray(48, 80)) }
}

/** The table's checksum, fed entry by entry: SHA-256(stream identity ‖ every entry's 80 bytes in order). */
export class CheckTableChecksum {
  private readonly hash: Hash

  constructor(identity: Buffer) {
    this.hash = createHash('sha256').update('snapdelta-stream check table\n').update(identity)
  }

  add(entryBytes: Buffer): void {
    this.hash.update(entryBytes)
  }

  digest(): Buffer {
    return this.hash.digest()
  }
}
