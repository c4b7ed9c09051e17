// apply/verify read a mounted generation's data straight from the snapshot
// that info.json names only when a live snapdelta mount serves the directory
// (test/attacks/item-02-copied-info-json.ts mounts for real); a folder that
// merely holds such an info.json is read from its own files.
import { copyFileSync, renameSync, writeFileSync } from 'fs'
import path from 'path'
import { openGenerationDir } from '../../../src/copy/generation-dir-source'
import { openGeneration } from '../../../src/generation/generation'
import { generationInfo } from '../../../src/generation/generation-info'
import { chunksMapText } from '../../../src/map/chunks-map'
import { realKernelFixture } from '../../helpers/fixtures'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'

afterAll(removeScratchRoot)

async function generationFolder() {
  const fx = realKernelFixture('a-random-4k')
  const dir = scratchDir('mounted-snapshot')
  const snapshot = path.join(dir, 'snap2.img')
  copyFileSync(fx.snap2, snapshot)
  const generation = await openGeneration({ cowPath: fx.cow1, snapshotPath: snapshot })
  const { runs } = generation
  const map = chunksMapText(runs, fx.cow1, snapshot)
  writeFileSync(path.join(dir, 'chunks.map'), map)
  writeFileSync(path.join(dir, 'info.json'), JSON.stringify(generationInfo({ generation, mountedAt: new Date(), readPath: { readPath: 'js', readPathReason: 'a unit test' } })))
  // A delta.img that is deliberately wrong shows which source was read.
  writeFileSync(path.join(dir, 'delta.img'), Buffer.alloc(runs.deviceSizeBytes, 0xee))
  await generation.close()
  return { dir, snapshot, firstRun: runs.offsetBytes(0) }
}

test('a folder that is not on a mount is read from its own files, even when info.json names the snapshot exactly', async () => {
  const { dir, snapshot, firstRun } = await generationFolder()
  const source = await openGenerationDir(dir)
  try {
    expect(source.description).not.toContain(snapshot)
    const buffer = Buffer.alloc(4096)
    await source.readChanged(buffer, firstRun)
    expect(buffer.every((b) => b === 0xee)).toBe(true)
    // The snapshot it names is still one of its inputs, which apply never writes onto.
    expect(source.inputs.map((i) => i.path)).toContain(snapshot)
  } finally {
    await source.close()
  }
})

test('falls back to delta.img when the path now names another file', async () => {
  const { dir, snapshot, firstRun } = await generationFolder()
  renameSync(snapshot, snapshot + '.old')
  copyFileSync(snapshot + '.old', snapshot)
  const source = await openGenerationDir(dir)
  try {
    expect(source.description).not.toContain(snapshot)
    const buffer = Buffer.alloc(4096)
    await source.readChanged(buffer, firstRun)
    expect(buffer.every((b) => b === 0xee)).toBe(true)
  } finally {
    await source.close()
  }
})
