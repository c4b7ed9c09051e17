// The writer must produce what the kernel produces: tests, the demo and the
// benchmark trust it to stand in for real COW devices.
import { readFileSync } from 'fs'
import path from 'path'
import { writeCowImage } from '../../../src/cow/cow-writer'
import { parseExceptionArea } from '../../../src/format/exception-area'
import { areaChunk } from '../../../src/format/cow-layout'
import { readExceptionTableFromPath, runsForSnapshot } from '../../../src/cow/exception-table'
import { writeSnapshotChain, pseudoRandomBytes } from '../../../src/cow/scenario'
import { realKernelFixture, validRealKernelFixtureNames } from '../../helpers/fixtures'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'

afterAll(removeScratchRoot)

/** The old chunks of a COW image in commit order, read straight from its areas. */
function commitOrder(cow: Buffer, chunkBytes: number): number[] {
  const perArea = chunkBytes / 16
  const out: number[] = []
  const old = new Float64Array(perArea)
  const scratch = new Float64Array(perArea)
  for (let area = 0; ; area++) {
    const at = areaChunk(area, perArea) * chunkBytes
    const decoded = parseExceptionArea(Buffer.from(cow.subarray(at, at + chunkBytes)), perArea, old, scratch)
    out.push(...old.subarray(0, decoded.count))
    if (!decoded.full) return out
  }
}

test.each(validRealKernelFixtureNames())('rewriting %s cow1 from its base gives the kernel image byte for byte', async (name) => {
  const fx = realKernelFixture(name)
  const kernelCow = readFileSync(fx.cow1)
  const base = readFileSync(fx.base)
  const chunkBytes = fx.meta.cow1.chunk_bytes
  const ours = path.join(scratchDir('writer'), 'cow1.img')
  await writeCowImage(ours, {
    chunkSizeSectors: chunkBytes / 512,
    oldChunks: commitOrder(kernelCow, chunkBytes),
    savedData: (chunk) => base.subarray(chunk * chunkBytes, (chunk + 1) * chunkBytes),
    cowSizeBytes: kernelCow.length,
  })
  expect(readFileSync(ours).equals(kernelCow)).toBe(true)
})

test('a snapshot chain: each COW applied from the next snapshot gives that snapshot', async () => {
  const dir = scratchDir('chain')
  const device = 1 << 20
  const chain = await writeSnapshotChain(dir, {
    deviceSizeBytes: device,
    chunkSizeSectors: 16,
    phases: [
      [{ offsetBytes: 0, data: pseudoRandomBytes(10000, 3) }, { offsetBytes: device - 512, data: Buffer.alloc(512) }],
      [{ offsetBytes: 50000, data: Buffer.alloc(9000) }],
    ],
  })
  for (let i = 0; i < chain.cows.length; i++) {
    const older = readFileSync(chain.snapshots[i])
    const newer = readFileSync(chain.snapshots[i + 1])
    expect(older.equals(newer)).toBe(false)
    const runs = runsForSnapshot(await readExceptionTableFromPath(chain.cows[i]), chain.snapshots[i + 1], device)
    expect(runs.changedChunks).toBe(chain.changedChunks[i].length)
    for (let r = 0; r < runs.count; r++) newer.copy(older, runs.offsetBytes(r), runs.offsetBytes(r), runs.endBytes(r))
    expect(older.equals(newer)).toBe(true)
  }
})
