import { readFileSync } from 'fs'
import path from 'path'
import { writeCowImage } from '../../../src/cow/cow-writer'
import { CowDevice } from '../../../src/cow/exception-table'
import { buildOldChunkMap } from '../../../src/cow/old-chunk-map'
import { openOldContent, openOldContentOn } from '../../../src/cow/old-content'
import { pseudoRandomBytes } from '../../../src/cow/scenario'
import { openGeneration } from '../../../src/generation/generation'
import { InvalidInputError } from '../../../src/errors'
import { realKernelFixture } from '../../helpers/fixtures'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'

afterAll(removeScratchRoot)

const CHUNK = 4096
// Chunk 10 is the device's last, partial chunk.
const DEVICE_BYTES = 10 * CHUNK + 3096
// Commit order: old 5,6,7 land in COW chunks 2,3,4; 2,3 in 5,6; 10 in 7; 8 in 8.
const COMMIT_ORDER = [5, 6, 7, 2, 3, 10, 8]
const saved = (chunk: number) => pseudoRandomBytes(CHUNK, 100 + chunk)

/** A COW image in memory behind a device that records its reads. */
async function cowDevice(oldChunks: number[], identity?: string): Promise<CowDevice & { reads: Array<[number, number]> }> {
  const file = path.join(scratchDir('old-content'), 'cow.img')
  await writeCowImage(file, { chunkSizeSectors: CHUNK / 512, oldChunks, savedData: (c) => saved(c) })
  const bytes = readFileSync(file)
  const reads: Array<[number, number]> = []
  return {
    path: file,
    sizeBytes: bytes.length,
    identity,
    reads,
    allocAligned: async (n) => Buffer.alloc(n),
    readInto: async (target, offset) => {
      reads.push([offset / CHUNK, target.length / CHUNK])
      bytes.copy(target, 0, offset, offset + target.length)
    },
  }
}

async function reader(oldChunks = COMMIT_ORDER) {
  const device = await cowDevice(oldChunks)
  const old = await openOldContentOn(device, { chunkSizeBytes: CHUNK, deviceSizeBytes: DEVICE_BYTES })
  device.reads.length = 0
  return { device, old }
}

test('maps old chunks to their COW chunks and reads the saved content', async () => {
  const { device, old } = await reader()
  const out = Buffer.alloc(2 * CHUNK)
  await old.readOld(out, 2 * CHUNK)
  expect(out.equals(Buffer.concat([saved(2), saved(3)]))).toBe(true)
  expect(device.reads).toEqual([[5, 2]])
})

test('coalesces consecutive old chunks saved in consecutive COW chunks, and only those', async () => {
  const { device, old } = await reader()
  const out = Buffer.alloc(4 * CHUNK)
  await old.readOld(out, 5 * CHUNK)
  expect(out.equals(Buffer.concat([saved(5), saved(6), saved(7), saved(8)]))).toBe(true)
  expect(device.reads).toEqual([[2, 3], [8, 1]])
})

test('a range inside chunks, and the partial last chunk of the device, are clamped', async () => {
  const { old } = await reader()
  const inside = Buffer.alloc(5000)
  await old.readOld(inside, 5 * CHUNK + 100)
  expect(inside.equals(Buffer.concat([saved(5), saved(6)]).subarray(100, 5100))).toBe(true)
  const last = Buffer.alloc(DEVICE_BYTES - 10 * CHUNK)
  await old.readOld(last, 10 * CHUNK)
  expect(last.equals(saved(10).subarray(0, last.length))).toBe(true)
  await expect(old.readOld(Buffer.alloc(CHUNK), 10 * CHUNK)).rejects.toThrow(/goes past the end of the 44056-byte snapshot/)
})

test('a chunk the table does not list is an error, never zeros', async () => {
  const { old } = await reader()
  const error = await old.readOld(Buffer.alloc(4 * CHUNK), 2 * CHUNK).catch((e) => e)
  expect(error).toBeInstanceOf(InvalidInputError)
  expect(error.message).toMatch(/does not list chunk 4 \(byte 16384\), which the delta changes/)
  await expect(old.readOld(Buffer.alloc(10), 0)).rejects.toThrow(/does not list chunk 0/)
  await expect(old.readOld(Buffer.alloc(10), 9 * CHUNK)).rejects.toThrow(/does not list chunk 9/)
})

test('an old chunk listed twice is a corrupt table', async () => {
  const device = await cowDevice([3, 4, 3])
  const error = await openOldContentOn(device, { chunkSizeBytes: CHUNK, deviceSizeBytes: DEVICE_BYTES }).catch((e) => e)
  expect(error).toBeInstanceOf(InvalidInputError)
  expect(error.message).toMatch(/old chunk 3 is listed twice \(saved at COW chunks 2 and 4\): the exception table is corrupt/)
})

test('a COW of another chunk size, or replaced since, is refused', async () => {
  await expect(openOldContentOn(await cowDevice(COMMIT_ORDER), { chunkSizeBytes: 2 * CHUNK, deviceSizeBytes: DEVICE_BYTES })).rejects.toThrow(
    /now has 4096-byte chunks, but the delta has 8192-byte chunks/,
  )
  const replaced = await cowDevice(COMMIT_ORDER, 'file:1:2')
  await expect(openOldContentOn(replaced, { chunkSizeBytes: CHUNK, deviceSizeBytes: DEVICE_BYTES, identity: 'file:1:3' })).rejects.toThrow(
    /is no longer the COW the delta was built from/,
  )
})

test('sorting keeps every pair together, at a size where the radix sort runs', () => {
  const n = 200_000
  const olds = new Uint32Array(n)
  const cows = new Uint32Array(n)
  // A permutation of 0..n-1 scaled past 16 bits, so both radix passes move entries.
  for (let i = 0; i < n; i++) {
    olds[i] = ((i * 7919) % n) * 70_001
    cows[i] = i + 2
  }
  const map = buildOldChunkMap(olds, cows, CHUNK, 'test')
  let unsorted = 0
  let separated = 0
  for (let i = 0; i < n; i++) {
    if (i > 0 && map.oldChunks[i] <= map.oldChunks[i - 1]) unsorted++
    // cows[j] = j + 2: the COW chunk names the entry it came from.
    if (olds[map.cowChunks[i] - 2] !== map.oldChunks[i]) separated++
  }
  expect({ unsorted, separated }).toEqual({ unsorted: 0, separated: 0 })
})

test("real kernel COW: the old content of every run is the old snapshot's bytes", async () => {
  for (const [cow, oldImage, newImage] of [['cow1', 'base', 'snap2'], ['cow2', 'snap2', 'origin']] as const) {
    const fx = realKernelFixture('f-lvm2-4k-64k')
    const generation = await openGeneration({ cowPath: fx[cow], snapshotPath: fx[newImage] })
    const old = await openOldContent(fx[cow], { chunkSizeBytes: generation.runs.chunkSizeBytes, deviceSizeBytes: generation.runs.deviceSizeBytes })
    try {
      const expected = readFileSync(fx[oldImage])
      const { runs } = generation
      for (let i = 0; i < runs.count; i++) {
        const out = Buffer.alloc(runs.lengthBytes(i))
        await old.readOld(out, runs.offsetBytes(i))
        expect(out.equals(expected.subarray(runs.offsetBytes(i), runs.endBytes(i)))).toBe(true)
      }
    } finally {
      await old.close()
      await generation.close()
    }
  }
})
