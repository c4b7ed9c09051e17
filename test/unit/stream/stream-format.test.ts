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
  STREAM_HEADER_BYTES,
  streamIdentity,
} from '../../../src/stream/stream-format'
import { chunkRunsFromByteRanges } from '../../../src/map/chunk-runs'

const runs = chunkRunsFromByteRanges(4096, 10 * 1024 * 1024 + 512, [
  [0, 8192],
  [65536, 3 * 1024 * 1024],
  [10 * 1024 * 1024, 512],
])

test('the header round-trips and says what a receiver must check', () => {
  const header = headerForRuns(runs)
  const bytes = encodeStreamHeader(header)
  expect(bytes.length).toBe(STREAM_HEADER_BYTES)
  expect(bytes.subarray(0, 16).toString('latin1')).toBe('snapdelta-stream')
  const decoded = decodeStreamHeader(bytes)
  expect(decoded).toEqual({ ok: true, header })
  expect(header).toMatchObject({ chunkSizeBytes: 4096, deviceSizeBytes: 10 * 1024 * 1024 + 512, runs: 3, records: 1 + 3 + 1, changedBytes: 8192 + 3 * 1024 * 1024 + 512 })
})

test('every flipped header byte is caught: the magic as "not a stream", the rest by the checksum', () => {
  const bytes = encodeStreamHeader(headerForRuns(runs))
  for (let i = 0; i < STREAM_HEADER_BYTES; i++) {
    const bad = Buffer.from(bytes)
    bad[i] ^= 0x20
    const decoded = decodeStreamHeader(bad)
    expect(decoded.ok).toBe(false)
    if (!decoded.ok) expect(decoded.problem === 'not-a-stream').toBe(i < 16)
  }
})

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
  const header = headerForRuns(runs)
  for (const bad of [
    { ...header, records: 2 ** 40 },
    { ...header, changedBytes: header.deviceSizeBytes + 1 },
    { ...header, runs: header.records + 1 },
    { ...header, maxRecordDataBytes: 0 },
  ]) {
    expect(decodeStreamHeader(encodeStreamHeader(bad))).toEqual({ ok: false, problem: 'corrupted', reason: 'the header fields are inconsistent' })
  }
})
