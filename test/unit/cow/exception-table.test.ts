import path from 'path'
import { writeCowImage, minimumCowSizeBytes } from '../../../src/cow/cow-writer'
import { readExceptionTableFromPath, runsForSnapshot, readExceptionTable, CowDevice } from '../../../src/cow/exception-table'
import { InvalidInputError, InvalidSnapshotError, DeviceIoError } from '../../../src/errors'
import { SNAP_MAGIC } from '../../../src/format/cow-header'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'

afterAll(removeScratchRoot)

const dir = scratchDir('table')
let serial = 0
async function cowWith(spec: Parameters<typeof writeCowImage>[1]): Promise<string> {
  const file = path.join(dir, `cow-${serial++}.img`)
  await writeCowImage(file, spec)
  return file
}

function runsOf(runs: ReturnType<typeof runsForSnapshot>): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (let i = 0; i < runs.count; i++) out.push([runs.offsetBytes(i), runs.lengthBytes(i)])
  return out
}

describe('reading tables written in the kernel layout', () => {
  test('one area, unsorted entries with duplicates, merged into runs', async () => {
    const cow = await cowWith({ chunkSizeSectors: 8, oldChunks: [9, 3, 4, 20, 5, 3, 10] })
    const table = await readExceptionTableFromPath(cow)
    expect(table.exceptions).toBe(7)
    expect(table.areasRead).toBe(1)
    const runs = runsForSnapshot(table, 'snap', 1 << 20)
    expect(runsOf(runs)).toEqual([
      [3 * 4096, 3 * 4096],
      [9 * 4096, 2 * 4096],
      [20 * 4096, 4096],
    ])
    expect(runs.changedChunks).toBe(6)
    expect(runs.changedBytes).toBe(6 * 4096)
  })

  test('an empty table (new snapshot, nothing written)', async () => {
    const table = await readExceptionTableFromPath(await cowWith({ chunkSizeSectors: 8, oldChunks: [] }))
    expect(table.exceptions).toBe(0)
    expect(runsForSnapshot(table, 'snap', 1 << 20).count).toBe(0)
  })

  test('an exactly full area is followed by the zeroed area the kernel writes', async () => {
    const chunks = Array.from({ length: 256 }, (_, i) => 255 - i)
    const cow = await cowWith({ chunkSizeSectors: 8, oldChunks: chunks })
    const table = await readExceptionTableFromPath(cow)
    expect(table.exceptions).toBe(256)
    expect(table.areasRead).toBe(2)
    expect(runsOf(runsForSnapshot(table, 'snap', 1 << 20))).toEqual([[0, 256 * 4096]])
  })

  test('many areas, read ahead in parallel batches, stop at the terminator', async () => {
    const count = 256 * 70 + 17
    const chunks = Array.from({ length: count }, (_, i) => (i * 7919) % 100_003)
    const table = await readExceptionTableFromPath(await cowWith({ chunkSizeSectors: 8, oldChunks: chunks }))
    expect(table.exceptions).toBe(count)
    expect(table.areasRead).toBe(71)
    const runs = runsForSnapshot(table, 'snap', 100_003 * 4096)
    expect(runs.changedChunks).toBe(new Set(chunks).size)
  })

  test.each([8, 16, 32, 64, 128, 256, 512, 1024])('chunk size %i sectors', async (sectors) => {
    const perArea = (sectors * 512) / 16
    const chunks = Array.from({ length: perArea + 3 }, (_, i) => i * 2)
    const table = await readExceptionTableFromPath(await cowWith({ chunkSizeSectors: sectors, oldChunks: chunks }))
    expect(table.header.chunkSizeBytes).toBe(sectors * 512)
    expect(table.exceptions).toBe(perArea + 3)
    const runs = runsForSnapshot(table, 'snap', (perArea + 3) * 2 * sectors * 512)
    expect(runs.count).toBe(perArea + 3)
    expect(runs.offsetBytes(1)).toBe(2 * sectors * 512)
  })

  test('the last chunk of a device whose size is not a chunk multiple is clamped', async () => {
    const table = await readExceptionTableFromPath(await cowWith({ chunkSizeSectors: 16, oldChunks: [0, 7] }))
    const deviceBytes = 7 * 8192 + 1536
    const runs = runsForSnapshot(table, 'snap', deviceBytes)
    expect(runsOf(runs)).toEqual([
      [0, 8192],
      [7 * 8192, 1536],
    ])
    expect(runs.changedBytes).toBe(8192 + 1536)
  })
})

describe('refusing bad input with a message naming the device', () => {
  const cases: Array<[string, Parameters<typeof writeCowImage>[1], RegExp, typeof InvalidInputError]> = [
    ['bad magic', { chunkSizeSectors: 8, oldChunks: [1], magic: 0x12345678 }, /not a dm-snapshot COW device: header magic is 0x12345678, expected 0x70416e53/, InvalidInputError],
    ['magic 0 (never initialised)', { chunkSizeSectors: 8, oldChunks: [], magic: 0 }, /not an initialised snapshot COW device: the header magic is 0/, InvalidInputError],
    ['version 2', { chunkSizeSectors: 8, oldChunks: [1], version: 2 }, /unsupported COW format version 2, expected 1/, InvalidInputError],
    ['invalid snapshot', { chunkSizeSectors: 8, oldChunks: [1, 2], valid: false }, /marked this snapshot invalid.*incomplete.*full copy/s, InvalidSnapshotError],
    ['entry outside the COW', { chunkSizeSectors: 8, oldChunks: [1, 2], newChunkOf: (i, k) => (i === 1 ? 9999 : k) }, /exception 1 \(area 0\) points at chunk 9999, outside the COW device/, InvalidInputError],
    ['entry at a metadata area', { chunkSizeSectors: 8, oldChunks: [1, 2], newChunkOf: (i, k) => (i === 1 ? 1 : k) }, /points at chunk 1, which is a metadata area/, InvalidInputError],
    ['entry at the second metadata area', { chunkSizeSectors: 8, oldChunks: [1, 2], newChunkOf: (i, k) => (i === 1 ? 258 : k), cowSizeBytes: 300 * 4096 }, /points at chunk 258, which is a metadata area/, InvalidInputError],
  ]
  test.each(cases)('%s', async (_label, spec, message, errorClass) => {
    const cow = await cowWith(spec)
    const attempt = readExceptionTableFromPath(cow)
    await expect(attempt).rejects.toThrow(errorClass)
    await expect(readExceptionTableFromPath(cow)).rejects.toThrow(message)
    await expect(readExceptionTableFromPath(cow)).rejects.toThrow(cow)
  })

  test.each([12, 4, 2048, 0])('chunk size %i sectors', async (sectors) => {
    const cow = path.join(dir, `chunk-${sectors}.img`)
    await writeCowImage(cow, { chunkSizeSectors: 8, oldChunks: [] })
    const { promises: fsp } = await import('fs')
    const handle = await fsp.open(cow, 'r+')
    const word = Buffer.alloc(4)
    word.writeUInt32LE(sectors)
    await handle.write(word, 0, 4, 12)
    await handle.close()
    await expect(readExceptionTableFromPath(cow)).rejects.toThrow(
      new RegExp(`${cow}: bad chunk size ${sectors} sectors .*expected a power of two from 8 to 1024`),
    )
  })

  test('a full last area with no room for the next one runs past the end of the device', async () => {
    const cow = await cowWith({ chunkSizeSectors: 8, oldChunks: Array.from({ length: 256 }, (_, i) => i), cowSizeBytes: 258 * 4096 })
    await expect(readExceptionTableFromPath(cow)).rejects.toThrow(/runs past the end of the device: area 0 is full/)
  })

  test('a snapshot smaller than a listed chunk is refused', async () => {
    const table = await readExceptionTableFromPath(await cowWith({ chunkSizeSectors: 8, oldChunks: [1, 500] }))
    expect(() => runsForSnapshot(table, '/dev/vg/snap2', 100 * 4096)).toThrow(
      /\/dev\/vg\/snap2 is 409600 bytes, but .* lists chunk 500 .*the snapshot must be the whole volume/,
    )
  })

  test('a file too small for a header', async () => {
    const { promises: fsp } = await import('fs')
    const file = path.join(dir, 'tiny.img')
    await fsp.writeFile(file, Buffer.alloc(100))
    await expect(readExceptionTableFromPath(file)).rejects.toThrow(/tiny.img: 100 bytes is too small/)
  })
})

describe('I/O errors', () => {
  test('a failing metadata-area read rejects instead of ending the table early', async () => {
    const cow = await cowWith({ chunkSizeSectors: 8, oldChunks: Array.from({ length: 600 }, (_, i) => i) })
    const { DirectReader } = await import('../../../src/io/direct-reader')
    const real = await DirectReader.open(cow)
    const failing: CowDevice = {
      path: real.path,
      sizeBytes: real.sizeBytes,
      allocAligned: (n) => real.allocAligned(n),
      readInto: async (target, offset) => {
        if (offset === 258 * 4096) throw new DeviceIoError(`read at byte ${offset} of ${real.path} failed: EIO`)
        return real.readInto(target, offset)
      },
    }
    await expect(readExceptionTable(failing)).rejects.toThrow(DeviceIoError)
    await real.close()
  })

  test('the minimum size leaves room for the terminating area', () => {
    expect(minimumCowSizeBytes(8, 0)).toBe(2 * 4096)
    expect(minimumCowSizeBytes(8, 256)).toBe((258 + 1) * 4096)
    expect(minimumCowSizeBytes(8, 3)).toBe(5 * 4096)
  })
})

test('the header magic constant is "SnAp" on disk', () => {
  expect(Buffer.from([0x53, 0x6e, 0x41, 0x70]).readUInt32LE(0)).toBe(SNAP_MAGIC)
})

test('origin chunks beyond 2^32 (volumes over 16 TiB at 4 KiB chunks) stay exact', async () => {
  const huge = 2 ** 33 + 5
  const table = await readExceptionTableFromPath(await cowWith({ chunkSizeSectors: 8, oldChunks: [7, huge, huge + 1, 9] }))
  expect(table.maxOldChunk).toBe(huge + 1)
  const runs = runsForSnapshot(table, 'snap', (huge + 2) * 4096)
  expect(runsOf(runs)).toEqual([
    [7 * 4096, 4096],
    [9 * 4096, 4096],
    [huge * 4096, 8192],
  ])
})
