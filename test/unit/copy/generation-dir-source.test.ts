import { promises as fsp } from 'fs'
import path from 'path'
import { openGenerationDir, runsFromChunksMap } from '../../../src/copy/generation-dir-source'
import { formatChunksMapHeader, formatChunksMapLine, changedFileName } from '../../../src/format/chunks-map-text'
import { InvalidInputError } from '../../../src/errors'
import { pseudoRandomBytes } from '../../../src/cow/scenario'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'

afterAll(removeScratchRoot)

const DEVICE = 3 * 4096 * 4 + 512

function chunksMap(ranges: Array<[number, number]>, deviceSizeBytes = DEVICE): string {
  const changedBytes = ranges.reduce((a, [, l]) => a + l, 0)
  return (
    formatChunksMapHeader({ chunkSizeBytes: 4096, deviceSizeBytes, changedChunks: 0, runs: ranges.length, changedBytes, cowPath: 'c', snapshotPath: 's', kindNames: null }) +
    ranges.map(([o, l]) => formatChunksMapLine(o, l)).join('')
  )
}

/** A copied generation folder: chunks.map + changed/, no delta.img. */
async function copiedFolder(snapshot: Buffer, ranges: Array<[number, number]>): Promise<string> {
  const dir = scratchDir('gendir')
  await fsp.writeFile(path.join(dir, 'chunks.map'), chunksMap(ranges, snapshot.length))
  await fsp.mkdir(path.join(dir, 'changed'))
  for (const [o, l] of ranges) await fsp.writeFile(path.join(dir, 'changed', changedFileName(o)), snapshot.subarray(o, o + l))
  return dir
}

test('a third field gives each run its kind; left_only runs read as zeros', () => {
  const text = chunksMap([[0, 8192], [8192, 4096], [40960, 8704]]).replace(/^(0 8192)$/m, '$1 different').replace(/^(8192 4096)$/m, '$1 left_only').replace(/^(40960 8704)$/m, '$1 right_only')
  const { runs, kinds } = runsFromChunksMap(text, 'chunks.map')
  expect(runs.count).toBe(3)
  expect(kinds).toEqual({ names: ['different', 'left_only', 'right_only'], codes: Uint8Array.from([0, 1, 2]), zeroCode: 1 })
  expect(() => runsFromChunksMap(text.replace(' right_only', ''), 'm')).toThrow('m: 2 of 3 lines have a third field (the kind of change): expected all or none')
  expect(() => runsFromChunksMap(text.replace(' right_only', ' Right-Only'), 'm')).toThrow(/line \d+: expected the kind of change .* got "Right-Only"/)
})

test('chunks.map gives the runs and the device size from its header', () => {
  const { runs, kinds } = runsFromChunksMap(chunksMap([[0, 8192], [40960, 8704]]), 'chunks.map')
  expect(kinds).toBeNull()
  expect(runs.deviceSizeBytes).toBe(DEVICE)
  expect(runs.chunkSizeBytes).toBe(4096)
  expect([runs.count, runs.offsetBytes(1), runs.lengthBytes(1), runs.changedBytes]).toEqual([2, 40960, 8704, 8192 + 8704])
})

test('a chunks.map without the sizes, or with runs that are not whole chunks, is refused', () => {
  expect(() => runsFromChunksMap('0 4096\n', 'x/chunks.map')).toThrow(/x\/chunks.map: expected a "# chunk_size_bytes N" header line/)
  expect(() => runsFromChunksMap(chunksMap([[100, 4096]]), 'm')).toThrow(InvalidInputError)
  expect(() => runsFromChunksMap(chunksMap([[0, 5000]]), 'm')).toThrow(/not made of whole 4096-byte chunks/)
  expect(() => runsFromChunksMap(chunksMap([[45056, 8192]]), 'm')).toThrow(/inside the 49664-byte device/)
})

test('a copied folder reads each run from its changed/ file', async () => {
  const snapshot = pseudoRandomBytes(DEVICE, 4)
  const dir = await copiedFolder(snapshot, [[0, 8192], [40960, 8704]])
  const source = await openGenerationDir(dir)
  expect(source.full).toBeUndefined()
  const got = Buffer.alloc(4096 + 512)
  await source.readChanged(got, 45056)
  expect(got.equals(snapshot.subarray(45056, 49664))).toBe(true)
  await expect(source.readChanged(Buffer.alloc(8192), 36864)).rejects.toThrow(/not inside one run/)
  await source.close()
})

test('a copy missing a changed/ file, or with a stale size, is refused up front', async () => {
  const snapshot = pseudoRandomBytes(DEVICE, 4)
  const dir = await copiedFolder(snapshot, [[0, 8192], [40960, 8704]])
  await fsp.truncate(path.join(dir, 'changed', changedFileName(0)), 4096)
  await expect(openGenerationDir(dir)).rejects.toThrow(/is 4096 bytes, but chunks.map says 8192: the copy is incomplete or stale/)
  await fsp.unlink(path.join(dir, 'changed', changedFileName(0)))
  await expect(openGenerationDir(dir)).rejects.toThrow(/0000000000000000 is missing: the copy of the generation is incomplete/)
  await expect(openGenerationDir(scratchDir('empty'))).rejects.toThrow(/is not a generation directory/)
})

test('a folder with delta.img reads from it, and refuses one of the wrong size', async () => {
  const snapshot = pseudoRandomBytes(DEVICE, 4)
  const dir = scratchDir('gendir')
  await fsp.writeFile(path.join(dir, 'chunks.map'), chunksMap([[4096, 4096]]))
  await fsp.writeFile(path.join(dir, 'delta.img'), snapshot)
  const source = await openGenerationDir(dir)
  const got = Buffer.alloc(4096)
  await source.readChanged(got, 4096)
  expect(got.equals(snapshot.subarray(4096, 8192))).toBe(true)
  await source.close()
  await fsp.truncate(path.join(dir, 'delta.img'), 4096)
  await expect(openGenerationDir(dir)).rejects.toThrow(/delta.img is 4096 bytes but .*chunks.map says the device is 49664 bytes/)
})
