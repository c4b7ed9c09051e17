import { ChangedDir } from '../../../src/vfs/changed-dir'
import { buildChunkRuns, chunkRunsFromByteRanges } from '../../../src/map/chunk-runs'
import { changedFileName } from '../../../src/format/chunks-map-text'
import { pseudoRandomBytes } from '../../../src/cow/scenario'
import { MemorySource } from './memory-source'

const CHUNK = 4096
const DEVICE = 20 * CHUNK + 300
const RANGES: Array<[number, number]> = [
  [CHUNK, CHUNK],
  [4 * CHUNK, 3 * CHUNK],
  [20 * CHUNK, 300],
]

function setup() {
  const snapshot = pseudoRandomBytes(DEVICE, 3)
  return { snapshot, dir: new ChangedDir(chunkRunsFromByteRanges(CHUNK, DEVICE, RANGES), new MemorySource(snapshot)) }
}

test('one file per run, named by its offset in 16 hex digits, in chunks.map order', async () => {
  const { dir } = setup()
  expect(await dir.list()).toEqual(['0000000000001000', '0000000000004000', '0000000000014000'])
})

test("each file's size is its run's length and its content the snapshot's bytes there", async () => {
  const { dir, snapshot } = setup()
  for (const [off, len] of RANGES) {
    const file = await dir.lookup(changedFileName(off))
    if (file?.kind !== 'file') throw new Error(`no file for run at ${off}`)
    expect(file.sizeBytes).toBe(len)
    expect(file.allocatedBytes).toBe(len)
    const target = Buffer.alloc(len + 100)
    expect(await file.read(target, 0)).toBe(len)
    expect(target.subarray(0, len).equals(snapshot.subarray(off, off + len))).toBe(true)
    const tail = Buffer.alloc(100)
    expect(await file.read(tail, len - 10)).toBe(10)
    expect(await file.read(tail, len)).toBe(0)
  }
})

test('names that are not a run start do not exist', async () => {
  const { dir } = setup()
  for (const name of ['0000000000002000', '0000000000005000', '1000', '0000000000001000-x', '000000000000100G', 'chunks.map']) {
    expect(await dir.lookup(name)).toBeUndefined()
  }
})

test('lists a million runs in linear time', async () => {
  const count = 1_000_000
  const chunks = new Float64Array(count)
  for (let i = 0; i < count; i++) chunks[i] = i * 2
  const dir = new ChangedDir(buildChunkRuns(chunks, count, CHUNK, 2 * count * CHUNK), new MemorySource(Buffer.alloc(0)))
  const started = Date.now()
  const names = await dir.list()
  // About 1 s in plain node on a loaded 2-core machine, slower under jest: a
  // guard against per-name searches or re-scans, not a benchmark.
  expect(Date.now() - started).toBeLessThan(15000)
  expect(names.length).toBe(count)
  expect(names[count - 1]).toBe(changedFileName((count - 1) * 2 * CHUNK))
  expect((await dir.lookup(names[123_456]))?.kind).toBe('file')
})
