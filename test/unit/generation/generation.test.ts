import { readFileSync, writeFileSync } from 'fs'
import path from 'path'
import { openGeneration } from '../../../src/generation/generation'
import { realKernelFixture } from '../../helpers/fixtures'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'

afterAll(removeScratchRoot)

test('opens a generation: runs from the old COW, data from the new snapshot, name from the snapshot', async () => {
  const fx = realKernelFixture('a-random-4k')
  const gen = await openGeneration({ cowPath: fx.cow1, snapshotPath: fx.snap2 })
  try {
    expect(gen.name).toBe('snap2')
    expect(gen.snapshot.sizeBytes).toBe(fx.meta.origin_bytes)
    expect(gen.runs.changedChunks).toBe(fx.meta.expected_changed_chunks.cow1)
  } finally {
    await gen.close()
  }
})

test('a COW passed as the snapshot (swapped arguments) is refused', async () => {
  const fx = realKernelFixture('f-lvm2-4k-64k')
  await expect(openGeneration({ cowPath: fx.cow1, snapshotPath: fx.cow2 })).rejects.toThrow(
    new RegExp(`${fx.cow2} starts with a snapshot COW header: it is a COW device, not a snapshot`),
  )
})

test('a snapshot smaller than the listed chunks (wrong volume) is refused, a missing one named', async () => {
  const fx = realKernelFixture('a-random-4k')
  const small = path.join(scratchDir('generation'), 'small.img')
  writeFileSync(small, readFileSync(fx.snap2).subarray(0, 1 << 20))
  await expect(openGeneration({ cowPath: fx.cow1, snapshotPath: small })).rejects.toThrow(
    new RegExp(`${small} is 1048576 bytes, but ${fx.cow1} lists chunk \\d+`),
  )
  await expect(openGeneration({ cowPath: fx.cow1, snapshotPath: '/nonexistent/snap' })).rejects.toThrow(/cannot open \/nonexistent\/snap/)
})

test('image files: --base-name names the older snapshot, --name (or the file name) the newer; nothing is a device', async () => {
  const fx = realKernelFixture('a-random-4k')
  const gen = await openGeneration({ cowPath: fx.cow1, snapshotPath: fx.snap2, baseName: 'snap1' })
  try {
    expect(gen.identities).toEqual({ from: { name: 'snap1', uuid: null }, to: { name: 'snap2', uuid: null } })
  } finally {
    await gen.close()
  }
  const unnamed = await openGeneration({ cowPath: fx.cow1, snapshotPath: fx.snap2, name: 'g2' })
  expect(unnamed.identities).toEqual({ from: { name: null, uuid: null }, to: { name: 'g2', uuid: null } })
  await unnamed.close()
})

test('--base-name equal to the generation name is refused', async () => {
  const fx = realKernelFixture('a-random-4k')
  await expect(openGeneration({ cowPath: fx.cow1, snapshotPath: fx.snap2, baseName: 'snap2' })).rejects.toThrow(/--base-name snap2 is also the generation's name/)
})
