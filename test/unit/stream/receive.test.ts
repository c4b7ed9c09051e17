import { createHash } from 'crypto'
import { promises as fsp } from 'fs'
import path from 'path'
import { receiveStream } from '../../../src/stream/receive'
import {
  encodeEndRecord,
  encodeRecordHeader,
  encodeRecordStart,
  encodeStreamHeader,
  headerForRuns,
  RECORD_HEADER_BYTES,
  recordChecksum,
  RecordKind,
  STREAM_V2_HEADER_BYTES,
} from '../../../src/stream/stream-format'
import { IncompleteStreamError, InvalidInputError } from '../../../src/errors'
import { pseudoRandomBytes } from '../../../src/cow/scenario'
import { chunkRunsFromByteRanges } from '../../../src/map/chunk-runs'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'
import { layoutOf, sampleGeneration, sentBytes } from './stream-test-data'

afterAll(removeScratchRoot)

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

async function* inPieces(bytes: Buffer, pieceBytes = 65536): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += pieceBytes) yield bytes.subarray(at, at + pieceBytes)
}

async function targetFile(content: Buffer): Promise<string> {
  const file = path.join(scratchDir('receive'), 'backup.img')
  await fsp.writeFile(file, content)
  return file
}

test('a whole stream makes the backup equal the new snapshot, and applying it twice is harmless', async () => {
  const { source, base, expected } = sampleGeneration()
  const stream = await sentBytes(source)
  const target = await targetFile(base)
  const summary = await receiveStream(inPieces(stream, 1000), 'test stream', target)
  expect(summary).toMatchObject({ records: 5, streamVersion: 2, kind: 'delta', contentChecked: true, runsAlreadyNew: 0, from: source.identities.from })
  expect(summary.bytesWritten).toBe(source.runs.changedBytes)
  expect(sha256(await fsp.readFile(target))).toBe(sha256(expected))
  const again = await receiveStream(inPieces(stream), 'test stream', target)
  expect(again).toMatchObject({ contentChecked: true, runsAlreadyNew: source.runs.count })
  expect(sha256(await fsp.readFile(target))).toBe(sha256(expected))
})

test('a stream cut at every record boundary, or at random bytes, is refused as incomplete; applying it whole then completes the backup', async () => {
  const { source, base, expected } = sampleGeneration()
  const stream = await sentBytes(source)
  const layout = layoutOf(source)
  // Inside the header, after its first 160 bytes, inside and after the check table.
  const cuts = [0, 100, 160, layout.tableOffsetBytes, layout.tableOffsetBytes + 100, layout.tableChecksumOffsetBytes, layout.recordsOffsetBytes]
  for (let i = 0; i < layout.header.records; i++) {
    const place = layout.record(i)
    cuts.push(place.streamOffsetBytes + RECORD_HEADER_BYTES, place.streamOffsetBytes + RECORD_HEADER_BYTES + place.lengthBytes)
  }
  cuts.push(stream.length - 1)
  const random = pseudoRandomBytes(4 * 20, 99)
  for (let i = 0; i < 20; i++) cuts.push(random.readUInt32LE(i * 4) % stream.length)
  for (const cut of cuts) {
    const target = await targetFile(base)
    const error = await receiveStream(inPieces(stream.subarray(0, cut)), 'cut stream', target).catch((e) => e)
    expect(error).toBeInstanceOf(IncompleteStreamError)
    expect(error.message).toMatch(/incomplete/)
    expect(error.message).toMatch(/Apply the same stream again/)
    // Whatever was written is the new snapshot's bytes, at their place.
    const partial = await fsp.readFile(target)
    for (let i = 0; i < partial.length; i += 4096) {
      const block = partial.subarray(i, i + 4096)
      expect(block.equals(base.subarray(i, i + 4096)) || block.equals(expected.subarray(i, i + 4096))).toBe(true)
    }
    await receiveStream(inPieces(stream), 'whole stream', target)
    expect(sha256(await fsp.readFile(target))).toBe(sha256(expected))
  }
})

test('a flipped byte anywhere after the magic is refused before the record holding it is written', async () => {
  const { source, base, expected } = sampleGeneration()
  const stream = await sentBytes(source)
  const layout = layoutOf(source)
  const positions = [16, 100, 150, 200, 600, 1000, layout.recordsOffsetBytes + 3, layout.recordsOffsetBytes + 40, layout.recordsOffsetBytes + 64 + 7]
  for (let i = 0; i < layout.header.records; i++) positions.push(layout.record(i).streamOffsetBytes + 20, layout.record(i).streamOffsetBytes + 64 + layout.record(i).lengthBytes - 1)
  positions.push(stream.length - 1, stream.length - 40)
  for (const at of positions) {
    const bad = Buffer.from(stream)
    bad[at] ^= 0x01
    const target = await targetFile(base)
    const error = await receiveStream(inPieces(bad), 'flipped stream', target).catch((e) => e)
    expect(error).toBeInstanceOf(IncompleteStreamError)
    expect(error.message).toMatch(/incomplete/)
    // The corrupted record was not written: every block is the base's or the snapshot's.
    const partial = await fsp.readFile(target)
    // Before the records (header, check table): nothing at all was written.
    if (at < layout.recordsOffsetBytes) expect(partial.equals(base)).toBe(true)
    if (at >= layout.recordsOffsetBytes && at < layout.endOffsetBytes) {
      const place = layout.recordAt(at)
      const range = [place.offsetBytes, place.offsetBytes + place.lengthBytes] as const
      expect(partial.subarray(...range).equals(base.subarray(...range))).toBe(true)
    }
    await receiveStream(inPieces(stream), 'whole stream', target)
    expect(sha256(await fsp.readFile(target))).toBe(sha256(expected))
  }
})

test('a target of another size is refused before anything is written', async () => {
  const { source, base } = sampleGeneration()
  const stream = await sentBytes(source)
  for (const size of [base.length - 512, base.length + 4096]) {
    const content = Buffer.concat([base, Buffer.alloc(4096)]).subarray(0, size)
    const target = await targetFile(content)
    const error = await receiveStream(inPieces(stream), 'stream', target).catch((e) => e)
    expect(error).toBeInstanceOf(InvalidInputError)
    expect(error.message).toMatch(/refusing to write/)
    expect(sha256(await fsp.readFile(target))).toBe(sha256(content))
  }
})

test('something that is not a stream is refused as such', async () => {
  const target = await targetFile(Buffer.alloc(8192))
  const error = await receiveStream(inPieces(Buffer.alloc(4096, 0x41)), 'junk', target).catch((e) => e)
  expect(error).toBeInstanceOf(InvalidInputError)
  expect(error.message).toMatch(/junk is not a snapdelta stream/)
})

test('zero records (no data) write zeros, so a sender may use them for all-zero runs', async () => {
  const deviceSizeBytes = 16384
  const runs = chunkRunsFromByteRanges(4096, deviceSizeBytes, [[4096, 8192]])
  const header = headerForRuns(runs)
  const start = encodeRecordStart(RecordKind.zero, 0, 4096, 8192)
  const checksum = recordChecksum(header.identity, start, undefined)
  const stream = Buffer.concat([encodeStreamHeader(header), encodeRecordHeader(start, checksum), encodeEndRecord(header, checksum)])
  expect(stream.length).toBe(STREAM_V2_HEADER_BYTES + 2 * RECORD_HEADER_BYTES)
  const base = pseudoRandomBytes(deviceSizeBytes, 3)
  const target = await targetFile(base)
  await receiveStream(inPieces(stream), 'zero stream', target)
  const expected = Buffer.from(base).fill(0, 4096, 12288)
  expect((await fsp.readFile(target)).equals(expected)).toBe(true)
})
