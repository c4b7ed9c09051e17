import { readFileSync, statSync } from 'fs'
import { openCowChangeSource } from '../../../src/cow/cow-change-source'
import { pseudoRandomBytes, writeScenario } from '../../../src/cow/scenario'
import { openGeneration } from '../../../src/generation/generation'
import { identityOfPath } from '../../../src/io/device-identity'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'

afterAll(removeScratchRoot)

const CHUNK = 4096
// The last chunk is partial: runs for the snapshot end at its size, runs without it at whole chunks.
const DEVICE_BYTES = 16 * CHUNK + 100

async function scenario() {
  return writeScenario(scratchDir('cow-change-source'), {
    deviceSizeBytes: DEVICE_BYTES,
    chunkSizeSectors: CHUNK / 512,
    writes: [
      { offsetBytes: 3 * CHUNK, data: pseudoRandomBytes(2 * CHUNK, 5) },
      { offsetBytes: 16 * CHUNK, data: pseudoRandomBytes(50, 6) },
    ],
  })
}

test('describes the COW as info.json shows it, and names it as an input and as the older snapshot', async () => {
  const files = await scenario()
  const changes = await openCowChangeSource(files.cow1)
  const identity = await identityOfPath(files.cow1)
  expect(changes.kind).toBe('cow')
  expect(changes.path).toBe(files.cow1)
  expect(changes.description).toEqual({
    exceptions: 3,
    cowPath: files.cow1,
    cowIdentity: identity,
    cowSizeBytes: statSync(files.cow1).size,
    cowReadWithODirect: expect.any(Boolean),
  })
  expect(changes.inputs).toEqual([{ path: files.cow1, identity }])
  expect(changes.olderSnapshotDevice).toBe(identity)
})

test('runs for a snapshot end at its size; without one they end at whole chunks; a table gives runs once', async () => {
  const files = await scenario()
  const sized = await openCowChangeSource(files.cow1)
  const runs = sized.runsFor({ path: files.snap2, sizeBytes: DEVICE_BYTES })
  expect([runs.offsetBytes(1), runs.endBytes(1)]).toEqual([16 * CHUNK, DEVICE_BYTES])
  expect(() => sized.runsFor({ path: files.snap2, sizeBytes: DEVICE_BYTES })).toThrow(/runsFor called twice/)
  const unsized = (await openCowChangeSource(files.cow1)).runsFor(undefined)
  expect([unsized.offsetBytes(0), unsized.endBytes(0), unsized.endBytes(1)]).toEqual([3 * CHUNK, 5 * CHUNK, 17 * CHUNK])
})

test('a generation opened over a change source reads the older snapshot through it', async () => {
  const files = await scenario()
  const changes = await openCowChangeSource(files.cow1)
  const generation = await openGeneration({ changes, snapshotPath: files.snap2, name: 'g' })
  const old = generation.changes.oldContent(generation.runs)
  try {
    expect(generation.changes).toBe(changes)
    const buffer = Buffer.alloc(2 * CHUNK)
    await old.readOld(buffer, 3 * CHUNK)
    expect(buffer.equals(readFileSync(files.base).subarray(3 * CHUNK, 5 * CHUNK))).toBe(true)
  } finally {
    await old.close()
    await generation.close()
  }
})
