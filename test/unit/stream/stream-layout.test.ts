import { decodeRecordHeader, MAX_RECORD_DATA_BYTES, RECORD_HEADER_BYTES, RecordKind } from '../../../src/stream/stream-format'
import { BASE_SUMS_PIECE_BYTES } from '../../../src/format/base-sums-text'
import { layoutOf, sampleGeneration, sentBytes } from './stream-test-data'

test('the layout computed from the runs places every record where send writes it, and the size matches', async () => {
  const { source } = sampleGeneration()
  const stream = await sentBytes(source)
  const layout = layoutOf(source)
  expect(layout.header.checkEntries).toBe(layout.header.records)
  expect(layout.sizeBytes).toBe(stream.length)
  let at = layout.recordsOffsetBytes
  for (let i = 0; i < layout.header.records; i++) {
    const place = layout.record(i)
    const decoded = decodeRecordHeader(stream.subarray(at, at + RECORD_HEADER_BYTES))
    expect(place.streamOffsetBytes).toBe(at)
    expect(decoded).toMatchObject({ kind: RecordKind.data, index: i, offsetBytes: place.offsetBytes, lengthBytes: place.lengthBytes })
    // Any position inside the record maps back to it.
    for (const within of [0, RECORD_HEADER_BYTES - 1, RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + place.lengthBytes - 1]) {
      expect(layout.recordAt(at + within).index).toBe(i)
    }
    at += RECORD_HEADER_BYTES + place.lengthBytes
  }
  expect(layout.endOffsetBytes).toBe(at)
  expect(decodeRecordHeader(stream.subarray(at))).toMatchObject({ kind: RecordKind.end, index: layout.header.records })
})

test("base.sha256's pieces are the stream's records, so a copied generation sends the mount's check table", () => {
  expect(BASE_SUMS_PIECE_BYTES).toBe(MAX_RECORD_DATA_BYTES)
})
