import { createHash } from 'crypto'
import { promises as fsp } from 'fs'
import path from 'path'
import { applyToTarget } from '../../../src/copy/apply'
import { InvalidInputError } from '../../../src/errors'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'
import { sampleGeneration } from '../stream/stream-test-data'

afterAll(removeScratchRoot)

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

test('apply writes the runs (the all-zero one included) and nothing else, in large reads', async () => {
  const { source, base, expected } = sampleGeneration()
  const target = path.join(scratchDir('apply'), 'backup.img')
  await fsp.writeFile(target, base)
  const summary = await applyToTarget(source, target)
  expect(summary).toMatchObject({ runs: 4, bytesWritten: source.runs.changedBytes })
  expect(sha256(await fsp.readFile(target))).toBe(sha256(expected))
  // Only the runs were read, each in one piece (all runs are below 4 MiB).
  expect(source.memory.reads.sort((a, b) => a[0] - b[0])).toEqual([[0, 4096], [65536, 8192], [1048576, 1572864], [3145728, 512]])
})

test('a target of another size is refused before any write; a missing one is not created', async () => {
  const { source, base } = sampleGeneration()
  const dir = scratchDir('apply')
  const target = path.join(dir, 'small.img')
  const content = base.subarray(0, base.length - 512)
  await fsp.writeFile(target, content)
  const error = await applyToTarget(source, target).catch((e) => e)
  expect(error).toBeInstanceOf(InvalidInputError)
  expect(error.message).toMatch(/small.img is 3145728 bytes .* but the snapshot is 3146240 bytes .*refusing to write/)
  expect(sha256(await fsp.readFile(target))).toBe(sha256(content))
  expect(source.memory.reads).toEqual([])
  await expect(applyToTarget(source, path.join(dir, 'missing.img'))).rejects.toThrow(/it must exist: snapdelta never creates or truncates it/)
  await expect(fsp.access(path.join(dir, 'missing.img'))).rejects.toThrow()
})

test('a read error stops apply with that error', async () => {
  const { source, base } = sampleGeneration()
  const target = path.join(scratchDir('apply'), 'backup.img')
  await fsp.writeFile(target, base)
  source.readChanged = async () => {
    throw new Error('injected read failure')
  }
  await expect(applyToTarget(source, target)).rejects.toThrow('injected read failure')
})
