import { generationInfo, generationSummary, listedGeneration } from '../../../src/generation/generation-info'
import { Generation, openGeneration } from '../../../src/generation/generation'
import { realKernelFixture } from '../../helpers/fixtures'

let generation: Generation

beforeAll(async () => {
  const fx = realKernelFixture('a-random-4k')
  generation = await openGeneration({ cowPath: fx.cow1, snapshotPath: fx.snap2, baseName: 'snap1' })
})

afterAll(() => generation.close())

test('info.json, list and the mount summary print the same facts, each in its own order', () => {
  const info = generationInfo({ generation, mountedAt: new Date('2026-01-02T03:04:05Z'), readPath: { readPath: 'js', readPathReason: 'a unit test' } })
  expect(Object.keys(info)).toEqual([
    'name', 'kind', 'from', 'to', 'chunkSizeBytes', 'deviceSizeBytes', 'changedChunks', 'runs', 'changedBytes',
    'exceptions', 'cowPath', 'cowIdentity', 'cowSizeBytes', 'cowReadWithODirect',
    'snapshotPath', 'snapshotIdentity', 'openedAt', 'mountedAt', 'readPath', 'readPathReason',
  ])
  const listed = listedGeneration(generation)
  expect(Object.keys(listed)).toEqual([
    'name', 'kind', 'from', 'to', 'cowPath', 'snapshotPath', 'chunkSizeBytes', 'deviceSizeBytes', 'exceptions', 'changedChunks', 'runs', 'changedBytes',
  ])
  const summary = generationSummary(generation)
  expect(Object.keys(summary)).toEqual(Object.keys(listed).filter((key) => key !== 'exceptions'))
  for (const [key, value] of Object.entries(listed)) expect(info[key as keyof typeof info]).toEqual(value)
  expect(info).toMatchObject({ kind: 'delta', from: { name: 'snap1', uuid: null }, cowPath: generation.changes.path, mountedAt: '2026-01-02T03:04:05.000Z' })
})
