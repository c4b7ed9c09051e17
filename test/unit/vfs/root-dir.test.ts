import { CowDescription } from '../../../src/cow/cow-change-source'
import { createRootDir } from '../../../src/vfs/root-dir'
import { RootEntry } from '../../../src/generation/root-entries'
import { GENERATION_ENTRIES } from '../../../src/vfs/generation-dir'
import { openGeneration, Generation } from '../../../src/generation/generation'
import { writeScenario, pseudoRandomBytes } from '../../../src/cow/scenario'
import { VfsDir, VfsFile, VfsNode } from '../../../src/vfs/node'
import { scratchDir, removeScratchRoot } from '../../helpers/tmp'
import { MemorySource } from './memory-source'

let generation: Generation
let snapshotBytes: Buffer
const MOUNTED_AT = new Date('2026-01-02T03:04:05Z')
const READ_PATH = { readPath: 'js', readPathReason: 'a unit test' } as const

beforeAll(async () => {
  const files = await writeScenario(scratchDir('root-dir'), {
    deviceSizeBytes: 64 * 4096 + 100,
    chunkSizeSectors: 8,
    writes: [
      { offsetBytes: 4096, data: pseudoRandomBytes(5000, 2) },
      { offsetBytes: 64 * 4096 + 10, data: Buffer.alloc(20) },
    ],
  })
  generation = await openGeneration({ cowPath: files.cow1, snapshotPath: files.snap2, name: 'gen1' })
  const { readFile } = await import('fs/promises')
  snapshotBytes = await readFile(files.snap2)
})

afterAll(async () => {
  await generation.close()
  removeScratchRoot()
})

async function dir(node: VfsNode | undefined): Promise<VfsDir> {
  if (node?.kind !== 'dir') throw new Error('expected a directory')
  return node
}

async function readWhole(node: VfsNode | undefined): Promise<Buffer> {
  if (node?.kind !== 'file') throw new Error('expected a file')
  const buf = Buffer.alloc((node as VfsFile).sizeBytes)
  expect(await node.read(buf, 0)).toBe(buf.length)
  return buf
}

test('a delta generation holds the files of GENERATION_ENTRIES, in order', async () => {
  const root = createRootDir([{ kind: 'delta', generation }], MOUNTED_AT, READ_PATH)
  expect(await root.list()).toEqual(['gen1'])
  const gen = await dir(await root.lookup('gen1'))
  expect(await gen.list()).toEqual(GENERATION_ENTRIES.map(([name]) => name))
  expect(await gen.list()).toEqual(expect.arrayContaining(['full.img', 'delta.img', 'chunks.map', 'changed', 'info.json']))
  expect((await readWhole(await gen.lookup('full.img'))).equals(snapshotBytes)).toBe(true)
  expect(await gen.lookup('nothing')).toBeUndefined()
  // Nodes are built once and kept.
  expect(await gen.lookup('delta.img')).toBe(await gen.lookup('delta.img'))
})

test('info.json states the facts of the generation', async () => {
  const root = createRootDir([{ kind: 'delta', generation }], MOUNTED_AT, READ_PATH)
  const gen = await dir(await root.lookup('gen1'))
  const info = JSON.parse((await readWhole(await gen.lookup('info.json'))).toString('utf8'))
  expect(info).toMatchObject({
    name: 'gen1',
    chunkSizeBytes: 4096,
    deviceSizeBytes: 64 * 4096 + 100,
    changedChunks: 3,
    runs: 2,
    changedBytes: 2 * 4096 + 100,
    exceptions: 3,
    cowPath: (generation.changes.description as CowDescription).cowPath,
    snapshotPath: generation.snapshotPath,
    mountedAt: MOUNTED_AT.toISOString(),
  })
  expect(typeof info.cowReadWithODirect).toBe('boolean')
})

test('full and error entries: only full.img + info.json, or only ERROR.txt', async () => {
  const snapshot = new MemorySource(pseudoRandomBytes(8192, 9))
  const entries: RootEntry[] = [
    { kind: 'full', name: 'first', snapshot, info: { reason: 'no older snapshot: copy full.img' } },
    { kind: 'error', name: 'broken', message: '/dev/vg/snap0-cow: the snapshot is invalid; a full copy is needed' },
  ]
  const root = createRootDir(entries, MOUNTED_AT, READ_PATH)
  expect(await root.list()).toEqual(['first', 'broken'])
  const first = await dir(await root.lookup('first'))
  expect(await first.list()).toEqual(['full.img', 'info.json'])
  expect(JSON.parse((await readWhole(await first.lookup('info.json'))).toString())).toMatchObject({
    kind: 'full',
    reason: 'no older snapshot: copy full.img',
    deviceSizeBytes: 8192,
  })
  const broken = await dir(await root.lookup('broken'))
  expect(await broken.list()).toEqual(['ERROR.txt'])
  expect((await readWhole(await broken.lookup('ERROR.txt'))).toString()).toContain('the snapshot is invalid; a full copy is needed')
})

test('duplicate or impossible names are refused', () => {
  const error = (name: string): RootEntry => ({ kind: 'error', name, message: 'x' })
  expect(() => createRootDir([error('a'), error('a')], MOUNTED_AT, READ_PATH)).toThrow(/both named "a"/)
  for (const bad of ['', '.', '..', 'a/b']) expect(() => createRootDir([error(bad)], MOUNTED_AT, READ_PATH)).toThrow(/cannot be a directory name/)
})
