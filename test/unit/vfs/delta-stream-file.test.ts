import { deltaStreamFile, deltaStreamFileOf } from '../../../src/vfs/delta-stream-file'
import { deltaBmapFile } from '../../../src/vfs/delta-bmap-file'
import { openGeneration, Generation } from '../../../src/generation/generation'
import { writeScenario, pseudoRandomBytes } from '../../../src/cow/scenario'
import { sourceFromGeneration } from '../../../src/generation/generation-source'
import { formatBmap } from '../../../src/bmap/bmap-xml'
import { runChecksums } from '../../../src/bmap/range-checksums'
import { VfsFile } from '../../../src/vfs/node'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'
import { layoutOf, sampleGeneration, sentBytes } from '../stream/stream-test-data'

let generation: Generation
let sent: Buffer

beforeAll(async () => {
  const dir = scratchDir('delta-stream')
  const deviceSizeBytes = 3 * 1024 * 1024 + 4096 + 512
  const files = await writeScenario(dir, {
    deviceSizeBytes,
    chunkSizeSectors: 8,
    writes: [
      { offsetBytes: 0, data: pseudoRandomBytes(4096, 2) },
      { offsetBytes: 8192, data: Buffer.alloc(8192) },
      { offsetBytes: 65536, data: pseudoRandomBytes(2 * 1024 * 1024 + 4096, 3) },
      { offsetBytes: deviceSizeBytes - 100, data: pseudoRandomBytes(100, 4) },
    ],
  })
  generation = await openGeneration({ cowPath: files.cow1, snapshotPath: files.snap2 })
  sent = await sentBytes(sourceFromGeneration(generation))
})
afterAll(async () => {
  await generation.close()
  removeScratchRoot()
})

async function readAt(file: VfsFile, offsetBytes: number, length: number): Promise<Buffer> {
  const target = Buffer.alloc(length)
  const n = await file.read(target, offsetBytes)
  return target.subarray(0, n)
}

test('delta.stream has the size of the stream send writes, known before any read', () => {
  expect(deltaStreamFile(generation).sizeBytes).toBe(sent.length)
})

test('read sequentially in 128 KiB reads, delta.stream is byte for byte what send writes', async () => {
  const file = deltaStreamFile(generation)
  const parts: Buffer[] = []
  for (let at = 0; at < file.sizeBytes; at += 131072) parts.push(await readAt(file, at, 131072))
  expect(Buffer.concat(parts).equals(sent)).toBe(true)
  expect((await readAt(file, file.sizeBytes, 10)).length).toBe(0)
})

test('random reads, backwards and concurrent, give the same bytes (the end record first, too)', async () => {
  const file = deltaStreamFile(generation)
  expect((await readAt(file, sent.length - 64, 64)).equals(sent.subarray(sent.length - 64))).toBe(true)
  const random = pseudoRandomBytes(8 * 40, 11)
  const reads = Array.from({ length: 40 }, (_, i) => {
    const offset = random.readUInt32LE(i * 8) % sent.length
    const length = 1 + (random.readUInt32LE(i * 8 + 4) % 300000)
    return readAt(file, offset, length).then((got) => got.equals(sent.subarray(offset, offset + length)))
  })
  expect(await Promise.all(reads)).toEqual(Array(40).fill(true))
})

test('delta.bmap has its size up front and the content of formatBmap', async () => {
  const file = deltaBmapFile(generation)
  const expected = Buffer.from(formatBmap(generation.runs, await runChecksums(sourceFromGeneration(generation))))
  expect(file.sizeBytes).toBe(expected.length)
  const got = Buffer.concat([await readAt(file, 0, 100), await readAt(file, 100, file.sizeBytes)])
  expect(got.equals(expected)).toBe(true)
})

test('with the old snapshot at hand, delta.stream carries the check table: every byte equals what send writes, read in any order', async () => {
  const { source } = sampleGeneration()
  const expected = await sentBytes(source)
  const layout = layoutOf(source)
  expect(layout.header.checkEntries).toBe(layout.header.records)
  // The table's checksum and the end record first: each needs every entry.
  for (const order of ['end-first', 'sequential']) {
    const file = deltaStreamFileOf(source)
    expect(file.sizeBytes).toBe(expected.length)
    const parts: Buffer[] = []
    if (order === 'end-first') {
      expect((await readAt(file, layout.tableChecksumOffsetBytes, 32)).equals(expected.subarray(layout.tableChecksumOffsetBytes, layout.recordsOffsetBytes))).toBe(true)
      expect((await readAt(file, expected.length - 64, 64)).equals(expected.subarray(expected.length - 64))).toBe(true)
    }
    for (let at = 0; at < file.sizeBytes; at += 1000) parts.push(await readAt(file, at, 1000))
    expect(Buffer.concat(parts).equals(expected)).toBe(true)
  }
})
