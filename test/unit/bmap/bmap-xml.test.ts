import { createHash } from 'crypto'
import { bmapSizeBytes, formatBmap } from '../../../src/bmap/bmap-xml'
import { runChecksums } from '../../../src/bmap/range-checksums'
import { chunkRunsFromByteRanges } from '../../../src/map/chunk-runs'
import { sampleGeneration } from '../stream/stream-test-data'

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')

test('the bmap lists every run as blocks, with the fields bmaptool requires', async () => {
  const { source } = sampleGeneration()
  const text = formatBmap(source.runs, await runChecksums(source))
  expect(text).toMatch(/<bmap version="2.0">/)
  expect(text).toMatch(new RegExp(`<ImageSize> ${source.runs.deviceSizeBytes} </ImageSize>`))
  expect(text).toMatch(/<BlockSize> 4096 <\/BlockSize>/)
  expect(text).toMatch(new RegExp(`<BlocksCount> ${Math.ceil(source.runs.deviceSizeBytes / 4096)} </BlocksCount>`))
  expect(text).toMatch(new RegExp(`<MappedBlocksCount> ${source.runs.changedChunks} </MappedBlocksCount>`))
  expect(text).toMatch(/<ChecksumType> sha256 <\/ChecksumType>/)
  const ranges = [...text.matchAll(/<Range chksum="([0-9a-f]{64})"> (\d+)-(\d+) <\/Range>/g)].map((m) => [m[1], Number(m[2]), Number(m[3])])
  // Runs at 0, the all-zero run, the 1.5 MiB run, the partial last chunk.
  expect(ranges.map(([, first, last]) => [first, last])).toEqual([[0, 0], [16, 17], [256, 639], [768, 768]])
  // Each checksum is of the run's bytes, the last cut at the device's end (what bmaptool hashes).
  const { memory } = source
  for (let i = 0; i < source.runs.count; i++) {
    const data = Buffer.alloc(source.runs.lengthBytes(i))
    await memory.readInto(data, source.runs.offsetBytes(i))
    expect(ranges[i][0]).toBe(sha256(data))
  }
})

test('BmapFileChecksum is the SHA-256 of the file with that value zeroed, as bmaptool checks it', async () => {
  const { source } = sampleGeneration()
  const text = formatBmap(source.runs, await runChecksums(source))
  const stored = /<BmapFileChecksum> ([0-9a-f]{64}) </.exec(text)?.[1] as string
  expect(sha256(text.replace(stored, '0'.repeat(64)))).toBe(stored)
})

test('the size is known from the runs alone, before any checksum', () => {
  for (const ranges of [[], [[0, 4096]], [[8192, 40960], [1 << 20, 4096 * 1000]]] as Array<Array<[number, number]>>) {
    const runs = chunkRunsFromByteRanges(4096, 8 << 20, ranges)
    const sums = ranges.map((_, i) => sha256(String(i)))
    expect(bmapSizeBytes(runs)).toBe(Buffer.byteLength(formatBmap(runs, sums)))
  }
})
