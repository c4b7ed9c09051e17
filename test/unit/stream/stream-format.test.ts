import { createHash } from 'crypto'
import {
  decodeRecordHeader,
  decodeStreamHeader,
  encodeDataRecord,
  encodeStreamHeader,
  headerForRuns,
  IdentityHasher,
  MAX_RECORD_DATA_BYTES,
  RecordKind,
  recordsForRun,
  STREAM_V1_HEADER_BYTES,
  STREAM_V2_HEADER_BYTES,
  streamIdentity,
  identityEnds,
  StreamHeader,
} from '../../../src/stream/stream-format'
import { chunkRunsFromByteRanges } from '../../../src/map/chunk-runs'
import { decodeSnapshotSlot, encodeSnapshotSlot } from '../../../src/stream/snapshot-slot'
import { decodeCheckEntry, encodeCheckEntry } from '../../../src/stream/check-table'

const runs = chunkRunsFromByteRanges(4096, 10 * 1024 * 1024 + 512, [
  [0, 8192],
  [65536, 3 * 1024 * 1024],
  [10 * 1024 * 1024, 512],
])

const ends = { from: { name: 'vg-snap1', uuid: 'LVM-aaaa' }, to: { name: 'vg-snap2', uuid: null } }
const v2 = (): StreamHeader => headerForRuns(runs, { ...ends, checkEntries: 5 })

test('the version-2 header round-trips with its kind, check table and both snapshots', () => {
  const header = v2()
  const bytes = encodeStreamHeader(header)
  expect(bytes.length).toBe(STREAM_V2_HEADER_BYTES)
  expect(bytes.subarray(0, 16).toString('latin1')).toBe('snapdelta-stream')
  expect(decodeStreamHeader(bytes)).toEqual({ ok: true, header })
  expect(header).toMatchObject({ version: 2, kind: 'delta', checkEntries: 5, ...ends, chunkSizeBytes: 4096, deviceSizeBytes: 10 * 1024 * 1024 + 512, runs: 3 })
  expect(header).toMatchObject({ records: 1 + 3 + 1, changedBytes: 8192 + 3 * 1024 * 1024 + 512 })
  const full = headerForRuns(chunkRunsFromByteRanges(4096, 8192, [[0, 8192]]), { kind: 'full', to: ends.to })
  expect(decodeStreamHeader(encodeStreamHeader(full))).toEqual({ ok: true, header: full })
  const unchecked = headerForRuns(runs, ends)
  expect(decodeStreamHeader(encodeStreamHeader(unchecked))).toEqual({ ok: true, header: unchecked })
})

test('the version-1 header still round-trips: 160 bytes, no snapshots, no check table', () => {
  const header = headerForRuns(runs, { version: 1, ...ends, checkEntries: 5 })
  const bytes = encodeStreamHeader(header)
  expect(bytes.length).toBe(STREAM_V1_HEADER_BYTES)
  expect(header).toMatchObject({ version: 1, kind: 'delta', checkEntries: null, from: { name: null, uuid: null } })
  expect(decodeStreamHeader(bytes)).toEqual({ ok: true, header })
  expect(header.identity).toEqual(streamIdentity(runs))
})

test('every flipped header byte is caught, in both versions: the magic as "not a stream", the rest by a checksum', () => {
  for (const bytes of [encodeStreamHeader(v2()), encodeStreamHeader(headerForRuns(runs, { version: 1 }))]) {
    for (let i = 0; i < bytes.length; i++) {
      const bad = Buffer.from(bytes)
      bad[i] ^= 0x20
      const decoded = decodeStreamHeader(bad)
      expect(decoded.ok).toBe(false)
      if (!decoded.ok) expect([i, decoded.problem]).toEqual([i, i < 16 ? 'not-a-stream' : 'corrupted'])
    }
  }
})

test('a version-2 header keeps bytes 128..159 as version 1 had them, so a version-1 reader refuses it as another version, not as corrupted', () => {
  const bytes = encodeStreamHeader(v2())
  // What snapdelta 0.1 did with the first 160 bytes: magic, checksum of 0..127 at 128, then the version.
  expect(createHash('sha256').update(bytes.subarray(0, 128)).digest()).toEqual(bytes.subarray(128, 160))
  expect(bytes.readUInt32LE(16)).toBe(2)
})

test('a header with valid checksums but bad version-2 fields is refused', () => {
  const header = v2()
  const cases: Array<[string, (b: Buffer) => void]> = [
    ['kind 3', (b) => b.writeUInt32LE(3, 68)],
    ['unknown flag', (b) => b.writeUInt32LE(3, 72)],
    ['entries without a table', (b) => b.writeUInt32LE(0, 72)],
    ['reserved byte', (b) => (b[90] = 1)],
    ['reserved tail', (b) => (b[990] = 1)],
    ['uuid length 129', (b) => (b[160 + 2] = 129)],
    ['byte past a name', (b) => (b[160 + 4 + 200] = 0x41)],
    ['invalid UTF-8 name', (b) => (b[160 + 4] = 0xff)],
    ['fewer entries than runs', (b) => b.writeBigUInt64LE(2n, 80)],
  ]
  for (const [what, change] of cases) {
    const bytes = encodeStreamHeader(header)
    change(bytes)
    resign(bytes)
    const decoded = decodeStreamHeader(bytes)
    expect([what, decoded.ok]).toEqual([what, false])
    if (!decoded.ok) expect([what, decoded.problem]).toEqual([what, 'corrupted'])
  }
  const full = encodeStreamHeader(headerForRuns(runs, { kind: 'full' }))
  expect(decodeStreamHeader(full)).toMatchObject({ ok: false, reason: 'the header fields are inconsistent' })
})

test('names and UUIDs are bounded: 255 and 128 bytes fit, one more is refused; unknown and empty are told apart', () => {
  const longest = { name: 'n'.repeat(255), uuid: 'u'.repeat(128) }
  expect(decodeSnapshotSlot(encodeSnapshotSlot(longest))).toEqual(longest)
  expect(() => encodeSnapshotSlot({ name: 'n'.repeat(256), uuid: null })).toThrow(/at most 255 bytes/)
  expect(() => encodeSnapshotSlot({ name: null, uuid: 'u'.repeat(129) })).toThrow(/at most 128 bytes/)
  expect(() => encodeSnapshotSlot({ name: 'é'.repeat(128), uuid: null })).toThrow(/256 bytes/)
  expect(decodeSnapshotSlot(encodeSnapshotSlot({ name: '', uuid: null }))).toEqual({ name: '', uuid: null })
  expect(decodeSnapshotSlot(encodeSnapshotSlot({ name: null, uuid: null }))).toEqual({ name: null, uuid: null })
})

test('the version-2 identity covers the kind, the check table flag and both snapshots; a check entry round-trips', () => {
  const other = headerForRuns(runs, { ...ends, from: { name: 'vg-snap0', uuid: 'LVM-aaaa' } })
  expect(other.identity).not.toEqual(v2().identity)
  expect(headerForRuns(runs, { ...ends, kind: 'full' }).identity).not.toEqual(headerForRuns(runs, ends).identity)
  expect(v2().identity).toEqual(streamIdentity(runs, identityEnds('delta', true, ends.from, ends.to)))
  expect(headerForRuns(runs, ends).identity).not.toEqual(v2().identity)
  const entry = { offsetBytes: 65536, lengthBytes: 4096, oldSha256: Buffer.alloc(32, 1), newSha256: Buffer.alloc(32, 2) }
  expect(decodeCheckEntry(encodeCheckEntry(entry))).toEqual(entry)
})

// Rewrites both header checksums after a change: a crafted header that only the field checks can refuse.
function resign(b: Buffer): void {
  createHash('sha256').update(b.subarray(0, 128)).digest().copy(b, 128)
  createHash('sha256').update(b.subarray(0, 992)).digest().copy(b, 992)
}

test('runs are cut into records of at most 1 MiB', () => {
  expect(recordsForRun(1)).toBe(1)
  expect(recordsForRun(MAX_RECORD_DATA_BYTES)).toBe(1)
  expect(recordsForRun(MAX_RECORD_DATA_BYTES + 1)).toBe(2)
})

test('the identity depends on every run and on the sizes, and can be rebuilt run by run', () => {
  const hasher = new IdentityHasher(4096, runs.deviceSizeBytes)
  for (let i = 0; i < runs.count; i++) hasher.addRun(runs.offsetBytes(i), runs.lengthBytes(i))
  expect(hasher.digest()).toEqual(streamIdentity(runs))
  const moved = chunkRunsFromByteRanges(4096, runs.deviceSizeBytes, [[0, 8192], [69632, 3 * 1024 * 1024], [10 * 1024 * 1024, 512]])
  expect(streamIdentity(moved)).not.toEqual(streamIdentity(runs))
  const bigger = chunkRunsFromByteRanges(4096, runs.deviceSizeBytes + 4096, [[0, 8192]])
  const smaller = chunkRunsFromByteRanges(4096, runs.deviceSizeBytes, [[0, 8192]])
  expect(streamIdentity(bigger)).not.toEqual(streamIdentity(smaller))
})

test('a data record header round-trips with its checksum', () => {
  const data = Buffer.from('hello')
  const { header, checksum } = encodeDataRecord(Buffer.alloc(32, 7), 3, 8192, data)
  expect(decodeRecordHeader(header)).toEqual({ kind: RecordKind.data, index: 3, offsetBytes: 8192, lengthBytes: 5, checksum })
  const bad = Buffer.from(header)
  bad[0] ^= 1
  expect(decodeRecordHeader(bad)).toBe('bad record magic')
})

test('a header with a valid checksum but impossible counts is refused (no huge allocations from a crafted stream)', () => {
  for (const header of [headerForRuns(runs, { version: 1 }), v2()]) for (const bad of [
    { ...header, records: 2 ** 40 },
    { ...header, changedBytes: header.deviceSizeBytes + 1 },
    { ...header, runs: header.records + 1 },
    { ...header, maxRecordDataBytes: 0 },
  ]) {
    expect(decodeStreamHeader(encodeStreamHeader(bad))).toEqual({ ok: false, problem: 'corrupted', reason: 'the header fields are inconsistent' })
  }
})
