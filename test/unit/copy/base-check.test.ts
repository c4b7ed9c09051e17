// The content check without files of a real generation: a memory source
// that can read the old bytes, and a source with no base at all.
import { promises as fsp } from 'fs'
import path from 'path'
import { applyToTarget } from '../../../src/copy/apply'
import { InvalidInputError } from '../../../src/errors'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'
import { sampleGeneration } from '../stream/stream-test-data'
import { UNKNOWN_SNAPSHOT } from '../../../src/generation/generation-identity'

afterAll(removeScratchRoot)

function withOld() {
  const sample = sampleGeneration()
  const source = {
    ...sample.source,
    identities: { from: { name: 'home-snap1', uuid: 'u-1' }, to: { name: 'home-snap2', uuid: 'u-2' } },
    readOld: async (target: Buffer, offsetBytes: number) => void sample.base.copy(target, 0, offsetBytes, offsetBytes + target.length),
  }
  return { ...sample, source }
}

test('a target that holds neither names the run, the first differing byte and the base by name; nothing is written', async () => {
  const { source, base } = withOld()
  const target = path.join(scratchDir('base-check'), 'backup.img')
  const wrong = Buffer.from(base)
  wrong[65536 + 5000] ^= 1
  await fsp.writeFile(target, wrong)
  const error = await applyToTarget(source, target).catch((e) => e)
  expect(error).toBeInstanceOf(InvalidInputError)
  expect(error.message).toContain('in the run at byte 65536, 8192 bytes long (from byte 70144)')
  expect(error.message).toContain('This delta needs a backup of home-snap1 (uuid u-1)')
  expect((await fsp.readFile(target)).equals(wrong)).toBe(true)
})

test('the base applies; the result applies again with every changed run already new', async () => {
  const { source, base, expected } = withOld()
  const target = path.join(scratchDir('base-check'), 'backup.img')
  await fsp.writeFile(target, base)
  expect(await applyToTarget(source, target)).toMatchObject({ baseCheckedBy: 'old snapshot', runsAlreadyNew: 0 })
  expect(await applyToTarget(source, target)).toMatchObject({ runsAlreadyNew: 4 })
  expect((await fsp.readFile(target)).equals(expected)).toBe(true)
})

test('a source from a known snapshot that can check nothing is refused; one from no snapshot (a full copy) is not checked', async () => {
  const { source, base } = sampleGeneration()
  const target = path.join(scratchDir('base-check'), 'backup.img')
  await fsp.writeFile(target, base)
  // Neither readOld nor base.sha256: nothing to check against.
  const known = { ...source, readOld: undefined, identities: { from: { name: 'home-snap1', uuid: null }, to: source.identities.to } }
  await expect(applyToTarget(known, target)).rejects.toThrow(/starts from home-snap1, but it can read neither that snapshot's data nor a base.sha256/)
  expect((await fsp.readFile(target)).equals(base)).toBe(true)
  const full = { ...known, identities: { from: UNKNOWN_SNAPSHOT, to: source.identities.to } }
  expect(await applyToTarget(full, target)).toMatchObject({ baseCheckedBy: 'nothing (no base: a full copy)', runsAlreadyNew: null })
})
