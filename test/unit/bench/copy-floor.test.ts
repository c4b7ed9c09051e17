import { promises as fsp } from 'fs'
import path from 'path'
import { copyRunsFloor, firstDifferingRun } from '../../../src/bench/copy-floor'
import { writeSnapshotWithRuns, writeSparseFile } from '../../../src/bench/inputs'
import { removeScratchRoot, scratchDir } from '../../helpers/tmp'

afterAll(removeScratchRoot)

describe('bench copy floor', () => {
  test('copies exactly the runs, nothing else, and the checker sees the difference before', async () => {
    const dir = scratchDir('bench-floor')
    const source = path.join(dir, 'source.img')
    const target = path.join(dir, 'target.img')
    const runs = [
      { offsetBytes: 4096, lengthBytes: 8192 },
      { offsetBytes: 65536, lengthBytes: 100_000 },
    ]
    const sizeBytes = 1 << 20
    await writeSnapshotWithRuns(source, sizeBytes, [{ offsetBytes: 0, lengthBytes: sizeBytes }])
    await writeSparseFile(target, sizeBytes)
    expect(await firstDifferingRun(source, target, runs)).toEqual(runs[0])

    await copyRunsFloor(source, target, runs)

    expect(await firstDifferingRun(source, target, runs)).toBeUndefined()
    const [src, dst] = await Promise.all([fsp.readFile(source), fsp.readFile(target)])
    const expected = Buffer.alloc(sizeBytes)
    for (const r of runs) src.copy(expected, r.offsetBytes, r.offsetBytes, r.offsetBytes + r.lengthBytes)
    expect(dst.equals(expected)).toBe(true)
  })
})
