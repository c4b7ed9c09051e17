// The undo record format: round trip, every corruption refused with a message
// naming the file and what is wrong, and no allocation a corrupt header asks for.
import {
  encodeRunTable, encodeUndoHeader, HEADER_BYTES, parseRunTable, parseUndoHeader, sha256, UNDO_VERSION, UndoHeader, undoLayout,
} from '../../../src/history/undo-format'
import { InvalidInputError } from '../../../src/errors'

const table = { offsetBytes: Float64Array.from([0, 8192, 1048576 - 4096]), lengthBytes: Float64Array.from([4096, 12288, 4096]) }
const runTable = encodeRunTable(table)
const header: UndoHeader = {
  version: UNDO_VERSION, seq: 3, deviceSizeBytes: 1048576, chunkSizeBytes: 4096, runCount: 3,
  dataBytes: 4096 + 12288 + 4096, checksumBlockBytes: 65536, runTableSha256: sha256(runTable),
}
const fileBytes = undoLayout(header).fileBytes

// Re-signs a header after editing it, so the check after the checksum is the one that refuses.
function edited(edit: (b: Buffer) => void): Buffer {
  const b = encodeUndoHeader(header)
  edit(b)
  sha256(b.subarray(0, HEADER_BYTES - 32)).copy(b, HEADER_BYTES - 32)
  return b
}

test('header and run table round trip', () => {
  expect(parseUndoHeader(encodeUndoHeader(header), fileBytes, 'x.undo')).toEqual(header)
  const parsed = parseRunTable(runTable, header, 'x.undo')
  expect([...parsed.offsetBytes]).toEqual([...table.offsetBytes])
  expect([...parsed.lengthBytes]).toEqual([...table.lengthBytes])
  expect(fileBytes).toBe(HEADER_BYTES + 3 * 16 + header.dataBytes + 32)
})

test.each([
  ['a short file', encodeUndoHeader(header).subarray(0, 100), 100, /shorter than its 128-byte header/],
  ['a wrong magic', (() => { const b = encodeUndoHeader(header); b[0] = 0; return b })(), fileBytes, /expected the magic/],
  ['a flipped header bit', (() => { const b = encodeUndoHeader(header); b[20] ^= 1; return b })(), fileBytes, /header checksum does not match/],
  ['a newer version', edited((b) => b.writeUInt32LE(2, 8)), fileBytes, /version 2, this snapdelta reads version 1/],
  ['a checksum block that is not a power of two', edited((b) => b.writeUInt32LE(5000, 12)), fileBytes, /checksum block size 5000/],
  ['a huge run count', edited((b) => b.writeBigUInt64LE(1n << 40n, 40)), fileBytes, /runs for 20480 data bytes/],
  ['more data than the device', edited((b) => b.writeBigUInt64LE(1n << 30n, 48)), fileBytes, /data bytes for a 1048576-byte device/],
  ['an offset beyond 2^53', edited((b) => b.writeBigUInt64LE(1n << 60n, 24)), fileBytes, /beyond 2\^53/],
  ['a truncated file', encodeUndoHeader(header), fileBytes - 1, /describes a 20688-byte file, the file has 20687 bytes/],
])('refuses %s', (_what, bytes, size, message) => {
  expect(() => parseUndoHeader(bytes, size, '/h/undo/000003.undo')).toThrow(InvalidInputError)
  expect(() => parseUndoHeader(bytes, size, '/h/undo/000003.undo')).toThrow(message)
  expect(() => parseUndoHeader(bytes, size, '/h/undo/000003.undo')).toThrow('/h/undo/000003.undo')
})

function withTable(offsets: number[], lengths: number[]): [Buffer, UndoHeader] {
  const b = encodeRunTable({ offsetBytes: Float64Array.from(offsets), lengthBytes: Float64Array.from(lengths) })
  const total = lengths.reduce((a, n) => a + n, 0)
  return [b, { ...header, runCount: offsets.length, dataBytes: total, runTableSha256: sha256(b) }]
}

test.each([
  ['overlapping runs', [0, 4096], [8192, 4096], /starts before the previous run ends/],
  ['descending runs', [8192, 0], [4096, 4096], /not ascending/],
  ['an empty run', [0], [0], /is empty/],
  ['a run past the device', [1048576 - 4096], [8192], /ends past the device/],
  ['an unaligned run', [100], [4096], /not aligned to 4096-byte chunks/],
])('refuses a run table with %s', (_what, offsets, lengths, message) => {
  const [b, h] = withTable(offsets, lengths)
  expect(() => parseRunTable(b, h, 'x.undo')).toThrow(message)
})

test('refuses a run table whose checksum or total differs from the header', () => {
  const b = Buffer.from(runTable)
  b[3] ^= 1
  expect(() => parseRunTable(b, header, 'x.undo')).toThrow(/checksum does not match/)
  expect(() => parseRunTable(runTable, { ...header, dataBytes: header.dataBytes + 512 }, 'x.undo')).toThrow(/hold 20480 bytes, the header says 20992/)
})
