// COW devices written by a real Linux kernel (dm-snapshot and LVM2): the
// reader must find exactly the chunks the kernel recorded, and copying those
// chunks from snapshot 2 onto snapshot 1's content must give snapshot 2.
import { readFileSync } from 'fs'
import { readExceptionTableFromPath, runsForSnapshot } from '../../../src/cow/exception-table'
import { InvalidSnapshotError } from '../../../src/errors'
import { realKernelFixture, validRealKernelFixtureNames } from '../../helpers/fixtures'

describe.each(validRealKernelFixtureNames())('real-kernel fixture %s', (name) => {
  const fx = realKernelFixture(name)

  test('cow1 lists exactly the expected changed chunks', async () => {
    const table = await readExceptionTableFromPath(fx.cow1)
    expect(table.header.chunkSizeBytes).toBe(fx.meta.cow1.chunk_bytes)
    expect(table.exceptions).toBe(fx.meta.cow1.exceptions)
    const runs = runsForSnapshot(table, fx.snap2, fx.meta.origin_bytes)
    expect(runs.changedChunks).toBe(fx.meta.expected_changed_chunks.cow1)
  })

  test('cow2 lists exactly the expected changed chunks', async () => {
    const table = await readExceptionTableFromPath(fx.cow2)
    const runs = runsForSnapshot(table, fx.origin, fx.meta.origin_bytes)
    expect(runs.changedChunks).toBe(fx.meta.expected_changed_chunks.cow2)
  })

  test('base + (runs of cow1 copied from snap2) == snap2, and the runs are needed', async () => {
    const base = readFileSync(fx.base)
    const snap2 = readFileSync(fx.snap2)
    expect(base.equals(snap2)).toBe(false)
    const runs = runsForSnapshot(await readExceptionTableFromPath(fx.cow1), fx.snap2, snap2.length)
    let previousEnd = 0
    for (let i = 0; i < runs.count; i++) {
      // Sorted, merged, non-overlapping: adjacent runs would have been merged.
      expect(runs.offsetBytes(i)).toBeGreaterThan(previousEnd === 0 && i === 0 ? -1 : previousEnd)
      snap2.copy(base, runs.offsetBytes(i), runs.offsetBytes(i), runs.endBytes(i))
      previousEnd = runs.endBytes(i)
    }
    expect(base.equals(snap2)).toBe(true)
  })
})

test('the overflowed snapshot (valid = 0) is refused and a full copy is asked for', async () => {
  const fx = realKernelFixture('e-overflow-invalid-4k')
  expect(fx.meta.cow1.valid).toBe(0)
  await expect(readExceptionTableFromPath(fx.cow1)).rejects.toThrow(InvalidSnapshotError)
  await expect(readExceptionTableFromPath(fx.cow1)).rejects.toThrow(/invalid.*full copy/s)
})

test('the zero-writes fixture has changed chunks that are all zeros in snap2', async () => {
  const fx = realKernelFixture('c-zero-writes-8k')
  const snap2 = readFileSync(fx.snap2)
  const base = readFileSync(fx.base)
  const runs = runsForSnapshot(await readExceptionTableFromPath(fx.cow1), fx.snap2, snap2.length)
  let zeroChunksThatChanged = 0
  const chunk = runs.chunkSizeBytes
  for (let i = 0; i < runs.count; i++) {
    for (let off = runs.offsetBytes(i); off < runs.endBytes(i); off += chunk) {
      const now = snap2.subarray(off, off + chunk)
      if (now.every((b) => b === 0) && !base.subarray(off, off + chunk).every((b) => b === 0)) zeroChunksThatChanged++
    }
  }
  expect(zeroChunksThatChanged).toBeGreaterThan(0)
})
