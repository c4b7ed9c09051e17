// The delta stream (delta.stream, `snapdelta send`): pure encoders and
// decoders of its header, records and end record. Layout and rationale:
// docs/stream-format.md. All integers are little-endian; every checksum is SHA-256.
import { createHash } from 'crypto'
import { ChunkRuns } from '../map/chunk-runs'

/** First 16 bytes of every stream. */
export const STREAM_MAGIC = Buffer.from('snapdelta-stream', 'latin1')
export const STREAM_VERSION = 1
export const STREAM_HEADER_BYTES = 160
export const RECORD_HEADER_BYTES = 64
/** Largest data part of one record: a random read of delta.stream needs at most this much data to checksum. */
export const MAX_RECORD_DATA_BYTES = 1024 * 1024
/**
 * Largest record a receiver accepts, whatever the header claims: a record is
 * held whole until its checksum is checked, so this bounds receive's memory.
 * Sixteen times what snapdelta's senders write.
 */
export const MAX_ACCEPTED_RECORD_DATA_BYTES = 16 * MAX_RECORD_DATA_BYTES
const RECORD_MAGIC = 0x43524453 // "SDRC" read as little-endian

export const RecordKind = {
  /** `length` bytes of data follow the record header. */
  data: 1,
  /** `length` bytes of zeros; no data follows. */
  zero: 2,
  /** The last record: its checksum covers every record checksum. */
  end: 3,
} as const
export type RecordKindValue = (typeof RecordKind)[keyof typeof RecordKind]

export interface StreamHeader {
  version: number
  chunkSizeBytes: number
  deviceSizeBytes: number
  runs: number
  records: number
  /** Sum of the run lengths: the bytes a receiver writes. */
  changedBytes: number
  maxRecordDataBytes: number
  /** SHA-256 of the run list and sizes (streamIdentity). */
  identity: Buffer
}

export interface RecordHeader {
  kind: RecordKindValue
  index: number
  offsetBytes: number
  lengthBytes: number
  checksum: Buffer
}

/** Number of records a run of `lengthBytes` is split into. */
export function recordsForRun(lengthBytes: number, maxRecordDataBytes = MAX_RECORD_DATA_BYTES): number {
  return Math.ceil(lengthBytes / maxRecordDataBytes)
}

/** Number of data records for all runs. */
export function recordsForRuns(runs: ChunkRuns, maxRecordDataBytes = MAX_RECORD_DATA_BYTES): number {
  let records = 0
  for (let i = 0; i < runs.count; i++) records += recordsForRun(runs.lengthBytes(i), maxRecordDataBytes)
  return records
}

/** The source generation's identity: SHA-256 over the chunk size, device size and every run. */
export function streamIdentity(runs: ChunkRuns): Buffer {
  const hasher = new IdentityHasher(runs.chunkSizeBytes, runs.deviceSizeBytes)
  for (let i = 0; i < runs.count; i++) hasher.addRun(runs.offsetBytes(i), runs.lengthBytes(i))
  return hasher.digest()
}

/** Builds a stream identity run by run: a receiver rebuilds it from the records it saw. */
export class IdentityHasher {
  private readonly hash = createHash('sha256')
  // Batched: volumes can have millions of runs.
  private readonly batch = Buffer.alloc(16 * 4096)
  private used = 0

  constructor(chunkSizeBytes: number, deviceSizeBytes: number) {
    const fields = Buffer.alloc(16)
    fields.writeBigUInt64LE(BigInt(chunkSizeBytes), 0)
    fields.writeBigUInt64LE(BigInt(deviceSizeBytes), 8)
    this.hash.update('snapdelta-stream identity v1\n').update(fields)
  }

  addRun(offsetBytes: number, lengthBytes: number): void {
    this.batch.writeBigUInt64LE(BigInt(offsetBytes), this.used)
    this.batch.writeBigUInt64LE(BigInt(lengthBytes), this.used + 8)
    this.used += 16
    if (this.used === this.batch.length) {
      this.hash.update(this.batch)
      this.used = 0
    }
  }

  digest(): Buffer {
    this.hash.update(this.batch.subarray(0, this.used))
    return this.hash.digest()
  }
}

/** The header describing `runs`. */
export function headerForRuns(runs: ChunkRuns, maxRecordDataBytes = MAX_RECORD_DATA_BYTES): StreamHeader {
  return {
    version: STREAM_VERSION,
    chunkSizeBytes: runs.chunkSizeBytes,
    deviceSizeBytes: runs.deviceSizeBytes,
    runs: runs.count,
    records: recordsForRuns(runs, maxRecordDataBytes),
    changedBytes: runs.changedBytes,
    maxRecordDataBytes,
    identity: streamIdentity(runs),
  }
}

/** Total stream size when every record carries its data (no zero records): known without reading data. */
export function streamSizeBytes(header: StreamHeader): number {
  return STREAM_HEADER_BYTES + (header.records + 1) * RECORD_HEADER_BYTES + header.changedBytes
}

/** The 160-byte header; its last 32 bytes are the SHA-256 of the first 128. */
export function encodeStreamHeader(h: StreamHeader): Buffer {
  const b = Buffer.alloc(STREAM_HEADER_BYTES)
  STREAM_MAGIC.copy(b, 0)
  b.writeUInt32LE(h.version, 16)
  b.writeUInt32LE(STREAM_HEADER_BYTES, 20)
  b.writeBigUInt64LE(BigInt(h.chunkSizeBytes), 24)
  b.writeBigUInt64LE(BigInt(h.deviceSizeBytes), 32)
  b.writeBigUInt64LE(BigInt(h.runs), 40)
  b.writeBigUInt64LE(BigInt(h.records), 48)
  b.writeBigUInt64LE(BigInt(h.changedBytes), 56)
  b.writeUInt32LE(h.maxRecordDataBytes, 64)
  // 68..96 reserved, zero.
  h.identity.copy(b, 96)
  sha256(b.subarray(0, 128)).copy(b, 128)
  return b
}

/**
 * Why a header is refused: 'not-a-stream' (wrong magic: some other file),
 * 'corrupted' (checksum or fields), 'unsupported' (intact, but asks for
 * something this snapdelta will not do: another version, records too large).
 */
export type HeaderProblem = 'not-a-stream' | 'corrupted' | 'unsupported'

/** Outcome of decoding a header: the header, or why it is not one. */
export type HeaderDecoding =
  | { ok: true; header: StreamHeader }
  | { ok: false; problem: HeaderProblem; reason: string }

/** Decodes and checks a 160-byte header. */
export function decodeStreamHeader(b: Buffer): HeaderDecoding {
  if (!b.subarray(0, 16).equals(STREAM_MAGIC)) {
    return { ok: false, problem: 'not-a-stream', reason: `expected the magic "${STREAM_MAGIC.toString('latin1')}" at byte 0` }
  }
  if (!sha256(b.subarray(0, 128)).equals(b.subarray(128, 160))) {
    return { ok: false, problem: 'corrupted', reason: 'the header checksum does not match: the header is corrupted' }
  }
  const version = b.readUInt32LE(16)
  if (version !== STREAM_VERSION) {
    return { ok: false, problem: 'unsupported', reason: `stream format version ${version}; this snapdelta reads version ${STREAM_VERSION}` }
  }
  const header: StreamHeader = {
    version,
    chunkSizeBytes: readSafe(b, 24),
    deviceSizeBytes: readSafe(b, 32),
    runs: readSafe(b, 40),
    records: readSafe(b, 48),
    changedBytes: readSafe(b, 56),
    maxRecordDataBytes: b.readUInt32LE(64),
    identity: Buffer.from(b.subarray(96, 128)),
  }
  if (
    b.readUInt32LE(20) !== STREAM_HEADER_BYTES ||
    header.maxRecordDataBytes === 0 ||
    !Number.isFinite(header.deviceSizeBytes) ||
    header.changedBytes > header.deviceSizeBytes ||
    header.records > header.changedBytes ||
    header.runs > header.records
  ) {
    return { ok: false, problem: 'corrupted', reason: 'the header fields are inconsistent' }
  }
  if (header.maxRecordDataBytes > MAX_ACCEPTED_RECORD_DATA_BYTES) {
    return {
      ok: false,
      problem: 'unsupported',
      reason:
        `the header allows records of up to ${header.maxRecordDataBytes} bytes; this snapdelta accepts records of at most ` +
        `${MAX_ACCEPTED_RECORD_DATA_BYTES} bytes (16 MiB; its senders write ${MAX_RECORD_DATA_BYTES}-byte records)`,
    }
  }
  return { ok: true, header }
}

/** Checksum of a data or zero record: SHA-256 over the stream identity, the record header's first 32 bytes and the data (zeros for a zero record are not hashed). */
export function recordChecksum(identity: Buffer, headerStart: Buffer, data: Buffer | undefined): Buffer {
  const hash = createHash('sha256').update(identity).update(headerStart)
  if (data) hash.update(data)
  return hash.digest()
}

/** The first 32 bytes of a record header (what its checksum covers). */
export function encodeRecordStart(kind: RecordKindValue, index: number, offsetBytes: number, lengthBytes: number): Buffer {
  const b = Buffer.alloc(32)
  b.writeUInt32LE(RECORD_MAGIC, 0)
  b.writeUInt32LE(kind, 4)
  b.writeBigUInt64LE(BigInt(index), 8)
  b.writeBigUInt64LE(BigInt(offsetBytes), 16)
  b.writeBigUInt64LE(BigInt(lengthBytes), 24)
  return b
}

/** A whole 64-byte record header. */
export function encodeRecordHeader(start: Buffer, checksum: Buffer): Buffer {
  return Buffer.concat([start, checksum], RECORD_HEADER_BYTES)
}

/** Decodes a 64-byte record header, or returns the reason it is not one. */
export function decodeRecordHeader(b: Buffer): RecordHeader | string {
  if (b.readUInt32LE(0) !== RECORD_MAGIC) return 'bad record magic'
  const kind = b.readUInt32LE(4)
  if (kind !== RecordKind.data && kind !== RecordKind.zero && kind !== RecordKind.end) return `unknown record kind ${kind}`
  return {
    kind: kind as RecordKindValue,
    index: readSafe(b, 8),
    offsetBytes: readSafe(b, 16),
    lengthBytes: readSafe(b, 24),
    checksum: Buffer.from(b.subarray(32, 64)),
  }
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest()
}

// Values above 2^53 cannot be byte counts here; they decode as Infinity, which the consistency checks reject.
function readSafe(b: Buffer, offset: number): number {
  const v = b.readBigUInt64LE(offset)
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v)
}

/** Header of the data record `index` carrying `data` for `offsetBytes`; returns it and its checksum. */
export function encodeDataRecord(identity: Buffer, index: number, offsetBytes: number, data: Buffer): { header: Buffer; checksum: Buffer } {
  const start = encodeRecordStart(RecordKind.data, index, offsetBytes, data.length)
  const checksum = recordChecksum(identity, start, data)
  return { header: encodeRecordHeader(start, checksum), checksum }
}

/** The first 32 bytes of the end record of a stream with this header. */
export function endRecordStart(header: StreamHeader): Buffer {
  return encodeRecordStart(RecordKind.end, header.records, 0, header.changedBytes)
}

/** The end record's checksum, fed record checksum by record checksum: SHA-256(identity, end record bytes 0..31, every record checksum in order). */
export class EndChecksum {
  private readonly hash = createHash('sha256')

  constructor(header: StreamHeader) {
    this.hash.update(header.identity).update(endRecordStart(header))
  }

  add(recordChecksum: Buffer): void {
    this.hash.update(recordChecksum)
  }

  digest(): Buffer {
    return this.hash.digest()
  }
}

/** The end record, given every record checksum concatenated in order. */
export function encodeEndRecord(header: StreamHeader, recordChecksums: Buffer): Buffer {
  const end = new EndChecksum(header)
  end.add(recordChecksums)
  return encodeRecordHeader(endRecordStart(header), end.digest())
}
