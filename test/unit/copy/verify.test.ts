import { InvalidInputError } from '../../../src/errors'
import { promises as fsp } from 'fs'
import path from 'path'
import { verifyRuns, verifyWholeDevice } from '../../../src/copy/verify'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'
import { sampleGeneration } from '../stream/stream-test-data'

afterAll(removeScratchRoot)

const noProgress = () => {}

test('identical: whole device and changed runs agree; only the whole-device check sees differences outside the runs', async () => {
  const { source, expected } = sampleGeneration()
  const target = path.join(scratchDir('verify'), 't.img')
  const snapshot = await readAll(source.memory)
  await fsp.writeFile(target, snapshot)
  expect(await verifyWholeDevice(source.memory, target, noProgress)).toMatchObject({ identical: true, comparedBytes: snapshot.length, differingRanges: 0 })
  // `expected` is the base with the runs applied: equal to the snapshot inside the runs only.
  await fsp.writeFile(target, expected)
  expect(await verifyRuns(source.runs, (t, o) => source.readChanged(t, o), target, noProgress)).toMatchObject({ identical: true, comparedBytes: source.runs.changedBytes })
  const whole = await verifyWholeDevice(source.memory, target, noProgress)
  expect(whole.identical).toBe(false)
  expect(whole.firstRanges[0]).toEqual([4096, 65536 - 4096])
})

test('differences are listed as merged 4 KiB-block ranges, in order', async () => {
  const { source, base } = sampleGeneration()
  const target = path.join(scratchDir('verify'), 't.img')
  await fsp.writeFile(target, base)
  const report = await verifyRuns(source.runs, (t, o) => source.readChanged(t, o), target, noProgress)
  expect(report.identical).toBe(false)
  expect(report.firstRanges).toEqual([[0, 4096], [65536, 8192], [1048576, 1572864], [3145728, 512]])
  expect(report.differingRanges).toBe(4)
  expect(report.differingBytes).toBe(source.runs.changedBytes)
})

test('a target of another size is refused as bad input, like apply refuses it', async () => {
  const { source, expected } = sampleGeneration()
  const target = path.join(scratchDir('verify'), 't.img')
  await fsp.writeFile(target, expected.subarray(4096))
  const refusal = verifyWholeDevice(source.memory, target, noProgress)
  await expect(refusal).rejects.toThrow(InvalidInputError)
  await expect(refusal).rejects.toThrow(/not comparing/)
})

async function readAll(source: { sizeBytes: number; readInto(t: Buffer, o: number): Promise<void> }): Promise<Buffer> {
  const b = Buffer.alloc(source.sizeBytes)
  await source.readInto(b, 0)
  return b
}
