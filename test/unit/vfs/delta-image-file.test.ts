import { DeltaImageFile } from '../../../src/vfs/delta-image-file'
import { chunkRunsFromByteRanges } from '../../../src/map/chunk-runs'
import { pseudoRandomBytes } from '../../../src/cow/scenario'
import { MemorySource } from './memory-source'

const CHUNK = 4096
// Not a multiple of the chunk size: the last chunk is partial.
const DEVICE = 40 * CHUNK + 1000
const RANGES: Array<[number, number]> = [
  [0, 2 * CHUNK],
  [5 * CHUNK, CHUNK],
  [7 * CHUNK, 3 * CHUNK],
  [39 * CHUNK, CHUNK + 1000],
]

function setup(fail?: { failFromBytes: number; failToBytes: number }) {
  const snapshot = pseudoRandomBytes(DEVICE, 7)
  const runs = chunkRunsFromByteRanges(CHUNK, DEVICE, RANGES)
  const source = new MemorySource(snapshot, fail)
  // What delta.img must read as: the snapshot's bytes inside runs, zeros elsewhere.
  const expected = Buffer.alloc(DEVICE)
  for (const [off, len] of RANGES) snapshot.copy(expected, off, off, off + len)
  return { file: new DeltaImageFile(runs, source), expected, source }
}

test('size is the snapshot size, allocated bytes are the changed bytes only', () => {
  const { file } = setup()
  expect(file.sizeBytes).toBe(DEVICE)
  expect(file.allocatedBytes).toBe(2 * CHUNK + CHUNK + 3 * CHUNK + CHUNK + 1000)
})

test('reads straddling run boundaries, holes and the partial last chunk are exact', async () => {
  const { file, expected } = setup()
  const cases: Array<[number, number]> = [
    [0, DEVICE], // everything at once
    [CHUNK - 10, 20], // inside one run
    [2 * CHUNK - 10, 20], // run end into a hole
    [4 * CHUNK + 5, 2 * CHUNK], // hole, run, hole
    [CHUNK, 9 * CHUNK], // several runs and holes
    [11 * CHUNK, 3 * CHUNK], // only a hole
    [39 * CHUNK + 100, 10_000], // partial last chunk, past the end
    [DEVICE - 1, 4096], // last byte
  ]
  for (const [off, len] of cases) {
    const target = Buffer.alloc(len, 0xee)
    const n = await file.read(target, off)
    const want = Math.min(len, DEVICE - off)
    expect(n).toBe(want)
    expect(target.subarray(0, n).equals(expected.subarray(off, off + want))).toBe(true)
  }
  expect(await file.read(Buffer.alloc(10), DEVICE)).toBe(0)
})

test('every 4 KiB-misaligned 5000-byte window matches', async () => {
  const { file, expected } = setup()
  for (let off = 0; off < DEVICE; off += 3001) {
    const target = Buffer.alloc(5000, 0xee)
    const n = await file.read(target, off)
    expect(target.subarray(0, n).equals(expected.subarray(off, off + n))).toBe(true)
  }
})

test('holes are never read from the snapshot', async () => {
  const { file, source } = setup()
  await file.read(Buffer.alloc(DEVICE), 0)
  for (const [off, len] of source.reads) {
    expect(RANGES.some(([r, l]) => off >= r && off + len <= r + l)).toBe(true)
  }
})

test('a failed snapshot read rejects the whole read: no zeros, no short count', async () => {
  const { file } = setup({ failFromBytes: 8 * CHUNK, failToBytes: 8 * CHUNK + 1 })
  await expect(file.read(Buffer.alloc(DEVICE), 0)).rejects.toThrow(/injected fault/)
  await expect(file.read(Buffer.alloc(100), 8 * CHUNK - 50)).rejects.toThrow(/injected fault/)
  // Reads elsewhere still work.
  expect(await file.read(Buffer.alloc(100), 0)).toBe(100)
})
