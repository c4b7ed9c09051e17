// The delta stream (delta.stream, `snapdelta send`): pure encoders and
// decoders of its header, records and end record. Layout and rationale:
// docs/stream-format.md. All integers are little-endian; every checksum is SHA-256.
import { createHash } from 'crypto'
import { ChunkRuns } from '../map/chunk-runs'
import { SnapshotIdentity, UNKNOWN_SNAPSHOT } from '../generation/generation-identity'
import { checkTableBytes } from './check-table'
import { encodeSnapshotSlot, decodeSnapshotSlot, SNAPSHOT_SLOT_BYTES } from './snapshot-slot'
import { readUInt64 } from '../format/uint64'

/** First 16 bytes of every stream. */
export const STREAM_MAGIC = Buffer.from('snapdelta-stream', 'latin1')
/** The version senders write; receivers read 1 and 2. */
export const STREAM_VERSION = 2
export const STREAM_V1_HEADER_BYTES = 160
export const STREAM_V2_HEADER_BYTES = 1024
/** What a receiver reads first: enough to know the version and the header's size (both versions start alike). */
export const STREAM_PREFIX_BYTES = STREAM_V1_HEADER_BYTES
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
// Version 2 header fields past the version-1 layout (docs/stream-format.md).
const KIND_CODE = { delta: 1, full: 2 } as const
const FLAG_CHECK_TABLE = 1
const FROM_SLOT_AT = 160
const TO_SLOT_AT = FROM_SLOT_AT + SNAPSHOT_SLOT_BYTES
const V2_CHECKSUM_AT = STREAM_V2_HEADER_BYTES - 32

export const RecordKind = {
  /** `length` bytes of data follow the record header. */
  data: 1,
  /** `length` bytes of zeros; no data follows. */
  zero: 2,
  /** The last record: its checksum covers every record checksum. */
  end: 3,
} as const
export type RecordKindValue = (typeof RecordKind)[keyof typeof RecordKind]

/** delta: writes the runs of a generation onto a backup holding its base; full: writes every byte of a device, needs no base. */
export type StreamKind = keyof typeof KIND_CODE

export interface StreamHeader {
  version: number
  kind: StreamKind
  chunkSizeBytes: number
  deviceSizeBytes: number
  runs: number
  records: number
  /** Sum of the run lengths: the bytes a receiver writes. */
  changedBytes: number
  maxRecordDataBytes: number
  /** Entries of the check table after the header; null when there is none (version 1, full streams, deltas sent without the old content). */
  checkEntries: number | null
  /** The snapshot the delta starts from (what TARGET must hold), and the one it leads to; unknown in version 1. */
  from: SnapshotIdentity
  to: SnapshotIdentity
  /** SHA-256 of the run list and sizes, and in version 2 of the kind, from and to (streamIdentity). */
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

/**
 * The stream identity: SHA-256 over the chunk size, device size, `ends`
 * (version 2: identityEnds) and every run, touching runs merged: a receiver
 * sees records, not runs, and merges the ones that touch (runs of two kinds
 * of change may touch, see map/run-kinds.ts).
 */
export function streamIdentity(runs: ChunkRuns, ends?: Buffer): Buffer {
  const hasher = new IdentityHasher(runs.chunkSizeBytes, runs.deviceSizeBytes, ends)
  forEachMergedRun(runs, (offsetBytes, lengthBytes) => hasher.addRun(offsetBytes, lengthBytes))
  return hasher.digest()
}

/** Calls `visit` for each run of `runs` with the runs that touch it merged into it; returns how many. */
export function forEachMergedRun(runs: ChunkRuns, visit: (offsetBytes: number, lengthBytes: number) => void = () => {}): number {
  let merged = 0
  for (let i = 0; i < runs.count; ) {
    const offsetBytes = runs.offsetBytes(i)
    let end = runs.endBytes(i)
    for (i++; i < runs.count && runs.offsetBytes(i) === end; i++) end = runs.endBytes(i)
    visit(offsetBytes, end - offsetBytes)
    merged++
  }
  return merged
}

/**
 * What a version-2 identity covers besides the runs: the kind code and the
 * flags (4 bytes each), then the from and to slots. With the flags in it, a
 * stream stripped of its check table fails its first record's checksum
 * before anything is written.
 */
export function identityEnds(kind: StreamKind, checkTable: boolean, from: SnapshotIdentity, to: SnapshotIdentity): Buffer {
  const fields = Buffer.alloc(8)
  fields.writeUInt32LE(KIND_CODE[kind], 0)
  fields.writeUInt32LE(checkTable ? FLAG_CHECK_TABLE : 0, 4)
  return Buffer.concat([fields, encodeSnapshotSlot(from), encodeSnapshotSlot(to)])
}

/** Builds a stream identity run by run: a receiver rebuilds it from the records it saw. */
export class IdentityHasher {
  private readonly hash = createHash('sha256')
  // Batched: volumes can have millions of runs.
  private readonly batch = Buffer.alloc(16 * 4096)
  private used = 0

  /** Without `ends`: the version-1 identity. */
  constructor(chunkSizeBytes: number, deviceSizeBytes: number, ends?: Buffer) {
    const fields = Buffer.alloc(16)
    fields.writeBigUInt64LE(BigInt(chunkSizeBytes), 0)
    fields.writeBigUInt64LE(BigInt(deviceSizeBytes), 8)
    if (ends) this.hash.update('snapdelta-stream identity v2\n').update(fields).update(ends)
    else this.hash.update('snapdelta-stream identity v1\n').update(fields)
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

/** The identity hasher for a stream with this header (version 1 or 2). */
export function identityHasherFor(h: StreamHeader): IdentityHasher {
  return new IdentityHasher(h.chunkSizeBytes, h.deviceSizeBytes, h.version >= 2 ? identityEnds(h.kind, h.checkEntries !== null, h.from, h.to) : undefined)
}

export interface HeaderOptions {
  /** 2 unless a test asks for the old format. */
  version?: 1 | 2
  kind?: StreamKind
  from?: SnapshotIdentity
  to?: SnapshotIdentity
  /** Entries of the check table; null or absent: no table. */
  checkEntries?: number | null
  maxRecordDataBytes?: number
}

/** The header describing `runs`; throws RangeError for a name or UUID a header cannot hold. */
export function headerForRuns(runs: ChunkRuns, options: HeaderOptions = {}): StreamHeader {
  const version = options.version ?? STREAM_VERSION
  const v2 = version >= 2
  const kind = v2 ? options.kind ?? 'delta' : 'delta'
  const from = v2 ? options.from ?? UNKNOWN_SNAPSHOT : UNKNOWN_SNAPSHOT
  const to = v2 ? options.to ?? UNKNOWN_SNAPSHOT : UNKNOWN_SNAPSHOT
  const maxRecordDataBytes = options.maxRecordDataBytes ?? MAX_RECORD_DATA_BYTES
  const checkEntries = v2 ? options.checkEntries ?? null : null
  return {
    version,
    kind,
    chunkSizeBytes: runs.chunkSizeBytes,
    deviceSizeBytes: runs.deviceSizeBytes,
    runs: forEachMergedRun(runs),
    records: recordsForRuns(runs, maxRecordDataBytes),
    changedBytes: runs.changedBytes,
    maxRecordDataBytes,
    checkEntries,
    from,
    to,
    identity: streamIdentity(runs, v2 ? identityEnds(kind, checkEntries !== null, from, to) : undefined),
  }
}

/** Size of the header of a stream of `version`. */
export function streamHeaderBytes(version: number): number {
  return version >= 2 ? STREAM_V2_HEADER_BYTES : STREAM_V1_HEADER_BYTES
}

/** Stream position of the first record: after the header and the check table. */
export function recordsStartBytes(header: StreamHeader): number {
  return streamHeaderBytes(header.version) + (header.checkEntries === null ? 0 : checkTableBytes(header.checkEntries))
}

/** Total stream size when every record carries its data (no zero records): known without reading data. */
export function streamSizeBytes(header: StreamHeader): number {
  return recordsStartBytes(header) + (header.records + 1) * RECORD_HEADER_BYTES + header.changedBytes
}

/** The header: 160 bytes in version 1, 1024 in version 2 (layouts: docs/stream-format.md). */
export function encodeStreamHeader(h: StreamHeader): Buffer {
  const v2 = h.version >= 2
  const b = Buffer.alloc(streamHeaderBytes(h.version))
  STREAM_MAGIC.copy(b, 0)
  b.writeUInt32LE(h.version, 16)
  b.writeUInt32LE(b.length, 20)
  b.writeBigUInt64LE(BigInt(h.chunkSizeBytes), 24)
  b.writeBigUInt64LE(BigInt(h.deviceSizeBytes), 32)
  b.writeBigUInt64LE(BigInt(h.runs), 40)
  b.writeBigUInt64LE(BigInt(h.records), 48)
  b.writeBigUInt64LE(BigInt(h.changedBytes), 56)
  b.writeUInt32LE(h.maxRecordDataBytes, 64)
  if (v2) {
    b.writeUInt32LE(KIND_CODE[h.kind], 68)
    b.writeUInt32LE(h.checkEntries === null ? 0 : FLAG_CHECK_TABLE, 72)
    b.writeBigUInt64LE(BigInt(h.checkEntries ?? 0), 80)
  }
  h.identity.copy(b, 96)
  // In version 2 too: an older snapdelta checks these bytes, then refuses version 2 as unsupported (exit 3), not as corrupted.
  sha256(b.subarray(0, 128)).copy(b, 128)
  if (v2) {
    encodeSnapshotSlot(h.from).copy(b, FROM_SLOT_AT)
    encodeSnapshotSlot(h.to).copy(b, TO_SLOT_AT)
    sha256(b.subarray(0, V2_CHECKSUM_AT)).copy(b, V2_CHECKSUM_AT)
  }
  return b
}

/**
 * Why a header is refused: 'not-a-stream' (wrong magic: some other file),
 * 'corrupted' (checksum or fields), 'unsupported' (intact, but asks for
 * something this snapdelta will not do: another version, records too large).
 */
export type HeaderProblem = 'not-a-stream' | 'corrupted' | 'unsupported'

type Refusal = { ok: false; problem: HeaderProblem; reason: string }

/** Outcome of decoding a header: the header, or why it is not one. */
export type HeaderDecoding = { ok: true; header: StreamHeader } | Refusal

/** Outcome of decoding the first STREAM_PREFIX_BYTES: the version and the whole header's size, or why not. */
export type PrefixDecoding = { ok: true; version: number; headerBytes: number } | Refusal

/** Checks the first 160 bytes (magic, their checksum, version): says how many header bytes to read in all. */
export function decodeStreamPrefix(b: Buffer): PrefixDecoding {
  if (!b.subarray(0, 16).equals(STREAM_MAGIC)) {
    return { ok: false, problem: 'not-a-stream', reason: `expected the magic "${STREAM_MAGIC.toString('latin1')}" at byte 0` }
  }
  if (b.length < STREAM_PREFIX_BYTES || !sha256(b.subarray(0, 128)).equals(b.subarray(128, 160))) {
    return { ok: false, problem: 'corrupted', reason: 'the header checksum does not match: the header is corrupted' }
  }
  const version = b.readUInt32LE(16)
  if (version !== 1 && version !== 2) {
    return { ok: false, problem: 'unsupported', reason: `stream format version ${version}; this snapdelta reads versions 1 and 2` }
  }
  if (b.readUInt32LE(20) !== streamHeaderBytes(version)) return inconsistent()
  return { ok: true, version, headerBytes: streamHeaderBytes(version) }
}

/** Decodes and checks a whole header (160 bytes in version 1, 1024 in version 2). */
export function decodeStreamHeader(b: Buffer): HeaderDecoding {
  const prefix = decodeStreamPrefix(b)
  if (!prefix.ok) return prefix
  if (b.length < prefix.headerBytes) return { ok: false, problem: 'corrupted', reason: 'the header is cut short' }
  const v2 = prefix.version >= 2
  if (v2 && !sha256(b.subarray(0, V2_CHECKSUM_AT)).equals(b.subarray(V2_CHECKSUM_AT, STREAM_V2_HEADER_BYTES))) {
    return { ok: false, problem: 'corrupted', reason: 'the header checksum (bytes 992..1023) does not match: the header is corrupted' }
  }
  const ends = v2 ? decodeEnds(b) : { kind: 'delta' as const, checkEntries: null, from: UNKNOWN_SNAPSHOT, to: UNKNOWN_SNAPSHOT }
  if (typeof ends === 'string') return { ok: false, problem: 'corrupted', reason: `the header is inconsistent: ${ends}` }
  const header: StreamHeader = {
    version: prefix.version,
    kind: ends.kind,
    chunkSizeBytes: readUInt64(b, 24),
    deviceSizeBytes: readUInt64(b, 32),
    runs: readUInt64(b, 40),
    records: readUInt64(b, 48),
    changedBytes: readUInt64(b, 56),
    maxRecordDataBytes: b.readUInt32LE(64),
    checkEntries: ends.checkEntries,
    from: ends.from,
    to: ends.to,
    identity: Buffer.from(b.subarray(96, 128)),
  }
  if (
    header.maxRecordDataBytes === 0 ||
    !Number.isFinite(header.deviceSizeBytes) ||
    header.changedBytes > header.deviceSizeBytes ||
    header.records > header.changedBytes ||
    header.runs > header.records ||
    (header.checkEntries !== null && (header.checkEntries < header.runs || header.checkEntries > header.changedBytes)) ||
    (header.kind === 'full' && header.changedBytes !== header.deviceSizeBytes)
  ) {
    return inconsistent()
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

// The version-2 fields: kind, check table, from and to; a string says what is wrong.
function decodeEnds(b: Buffer): Pick<StreamHeader, 'kind' | 'checkEntries' | 'from' | 'to'> | string {
  const code = b.readUInt32LE(68)
  const kind = (Object.keys(KIND_CODE) as StreamKind[]).find((k) => KIND_CODE[k] === code)
  if (!kind) return `unknown stream kind ${code}`
  const flags = b.readUInt32LE(72)
  if ((flags & ~FLAG_CHECK_TABLE) !== 0) return `unknown flags ${flags}`
  const entries = readUInt64(b, 80)
  const hasTable = (flags & FLAG_CHECK_TABLE) !== 0
  if (!hasTable && entries !== 0) return 'check table entries without a check table'
  if (hasTable && kind !== 'delta') return 'a check table in a full stream'
  for (const [from, to] of [[76, 80], [88, 96], [TO_SLOT_AT + SNAPSHOT_SLOT_BYTES, V2_CHECKSUM_AT]]) {
    if (b.subarray(from, to).some((byte) => byte !== 0)) return `reserved bytes ${from}..${to - 1} are not zero`
  }
  const from = decodeSnapshotSlot(b.subarray(FROM_SLOT_AT, FROM_SLOT_AT + SNAPSHOT_SLOT_BYTES))
  const to = decodeSnapshotSlot(b.subarray(TO_SLOT_AT, TO_SLOT_AT + SNAPSHOT_SLOT_BYTES))
  if (typeof from === 'string') return `from snapshot: ${from}`
  if (typeof to === 'string') return `to snapshot: ${to}`
  return { kind, checkEntries: hasTable ? entries : null, from, to }
}

function inconsistent(): Refusal {
  return { ok: false, problem: 'corrupted', reason: 'the header fields are inconsistent' }
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
    index: readUInt64(b, 8),
    offsetBytes: readUInt64(b, 16),
    lengthBytes: readUInt64(b, 24),
    checksum: Buffer.from(b.subarray(32, 64)),
  }
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest()
}


/** Header of the data record `index` carrying `data` for `offsetBytes`; returns it and its checksum. */
export function encodeDataRecord(identity: Buffer, index: number, offsetBytes: number, data: Buffer): { header: Buffer; checksum: Buffer } {
  const start = encodeRecordStart(RecordKind.data, index, offsetBytes, data.length)
  const checksum = recordChecksum(identity, start, data)
  return { header: encodeRecordHeader(start, checksum), checksum }
}

/** A zero record's header: `lengthBytes` of zeros, no data after it. */
export function encodeZeroRecord(identity: Buffer, index: number, offsetBytes: number, lengthBytes: number): { header: Buffer; checksum: Buffer } {
  const start = encodeRecordStart(RecordKind.zero, index, offsetBytes, lengthBytes)
  const checksum = recordChecksum(identity, start, undefined)
  return { header: encodeRecordHeader(start, checksum), checksum }
}

/** The first 32 bytes of the end record of a stream with this header. */
export function endRecordStart(header: StreamHeader): Buffer {
  return encodeRecordStart(RecordKind.end, header.records, 0, header.changedBytes)
}

/**
 * The end record's checksum, fed record checksum by record checksum:
 * SHA-256(identity, end record bytes 0..31, in version 2 the check table's
 * checksum when there is a table, every record checksum in order).
 */
export class EndChecksum {
  private readonly hash = createHash('sha256')

  constructor(header: StreamHeader, tableChecksum: Buffer | null = null) {
    if ((header.checkEntries !== null) !== (tableChecksum !== null)) throw new RangeError('the end checksum covers the check table exactly when the stream has one')
    this.hash.update(header.identity).update(endRecordStart(header))
    if (tableChecksum) this.hash.update(tableChecksum)
  }

  add(recordChecksum: Buffer): void {
    this.hash.update(recordChecksum)
  }

  digest(): Buffer {
    return this.hash.digest()
  }
}

/** The end record, given every record checksum concatenated in order (and the check table's checksum when there is a table). */
export function encodeEndRecord(header: StreamHeader, recordChecksums: Buffer, tableChecksum: Buffer | null = null): Buffer {
  const end = new EndChecksum(header, tableChecksum)
  end.add(recordChecksums)
  return encodeRecordHeader(endRecordStart(header), end.digest())
}
