// Bad inputs: each gives a non-zero exit, a message naming the file and what
// was wrong, and no mount; the inputs stay byte-identical.
import { createHash } from 'crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'fs'
import path from 'path'
import { writeCowImage } from '../../src/cow/cow-writer'
import { pseudoRandomBytes } from '../../src/cow/scenario'
import { realKernelFixture } from '../helpers/fixtures'
import { runCli } from '../helpers/cli'
import { scratchDir, removeScratchRoot } from '../helpers/tmp'
import { forceUnmount, isMounted } from '../helpers/mount'

const CHUNK = 4096
let dir: string
let snapshot: string
let goodCow: string
let mnt: string

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')

beforeAll(async () => {
  dir = scratchDir('mount-errors')
  mnt = path.join(dir, 'mnt')
  mkdirSync(mnt)
  snapshot = path.join(dir, 'snap2.img')
  writeFileSync(snapshot, pseudoRandomBytes(2 << 20, 4))
  goodCow = path.join(dir, 'good-cow.img')
  await writeCowImage(goodCow, { chunkSizeSectors: 8, oldChunks: [1, 2, 9] })
})

afterAll(async () => {
  await forceUnmount({ mountpoint: mnt })
  removeScratchRoot()
})

interface BadCase {
  name: string
  /** Builds the bad input; returns the mount arguments and the file the message must name. */
  make: () => Promise<{ args: string[]; names: string; message: RegExp }>
}

const cow = (name: string) => path.join(dir, `${name}.img`)
const oneGen = (cowPath: string, snapshotPath = snapshot) => ['--cow', cowPath, '--snapshot', snapshotPath]

const CASES: BadCase[] = [
  {
    name: 'bad magic (not a COW)',
    make: async () => {
      await writeCowImage(cow('bad-magic'), { chunkSizeSectors: 8, oldChunks: [1], magic: 0x12345678 })
      return { args: oneGen(cow('bad-magic')), names: cow('bad-magic'), message: /not a dm-snapshot COW device/ }
    },
  },
  {
    name: 'magic 0 (never initialised)',
    make: async () => {
      await writeCowImage(cow('magic0'), { chunkSizeSectors: 8, oldChunks: [1], magic: 0 })
      return { args: oneGen(cow('magic0')), names: cow('magic0'), message: /never/ }
    },
  },
  {
    name: 'version 2',
    make: async () => {
      await writeCowImage(cow('version2'), { chunkSizeSectors: 8, oldChunks: [1], version: 2 })
      return { args: oneGen(cow('version2')), names: cow('version2'), message: /version 2/ }
    },
  },
  ...[12, 2048].map((sectors) => ({
    name: `chunk size ${sectors} sectors`,
    make: async () => {
      await writeCowImage(cow(`chunk${sectors}`), { chunkSizeSectors: sectors, oldChunks: [1] })
      return { args: oneGen(cow(`chunk${sectors}`)), names: cow(`chunk${sectors}`), message: /chunk size/ }
    },
  })),
  {
    name: 'table running past the end of the device',
    make: async () => {
      // Area 0 is full, so area 1 must follow at chunk 258: the device ends before it.
      await writeCowImage(cow('past-end'), {
        chunkSizeSectors: 8,
        oldChunks: Array.from({ length: 256 }, (_, i) => i),
        cowSizeBytes: 258 * CHUNK,
      })
      return { args: oneGen(cow('past-end')), names: cow('past-end'), message: /past the end/ }
    },
  },
  {
    name: 'entry pointing outside the COW',
    make: async () => {
      await writeCowImage(cow('outside'), { chunkSizeSectors: 8, oldChunks: [1, 2, 3], newChunkOf: (i, k) => (i === 1 ? 100_000 : k) })
      return { args: oneGen(cow('outside')), names: cow('outside'), message: /outside the COW/ }
    },
  },
  {
    name: 'entry pointing at a metadata area',
    make: async () => {
      await writeCowImage(cow('on-metadata'), { chunkSizeSectors: 8, oldChunks: [1, 2, 3], newChunkOf: (i, k) => (i === 2 ? 1 : k) })
      return { args: oneGen(cow('on-metadata')), names: cow('on-metadata'), message: /metadata area/ }
    },
  },
  {
    name: 'invalid snapshot (real kernel overflow, e-overflow-invalid-4k)',
    make: async () => {
      const f = realKernelFixture('e-overflow-invalid-4k')
      return { args: oneGen(f.cow1, f.snap2), names: f.cow1, message: /full copy/ }
    },
  },
  {
    name: 'snapshot smaller than a listed chunk',
    make: async () => {
      const small = path.join(dir, 'small-snap.img')
      writeFileSync(small, pseudoRandomBytes(8 * CHUNK, 5))
      return { args: oneGen(goodCow, small), names: small, message: /lists chunk 9/ }
    },
  },
  {
    name: 'a good generation followed by a bad one: nothing is mounted',
    make: async () => {
      await writeCowImage(cow('second-bad'), { chunkSizeSectors: 8, oldChunks: [1], magic: 0 })
      return {
        args: [...oneGen(goodCow), '--name', 'good', ...oneGen(cow('second-bad')), '--name', 'bad'],
        names: cow('second-bad'),
        message: /never/,
      }
    },
  },
]

test.each(CASES.map((c) => [c.name, c] as const))('%s: clear error, non-zero exit, no mount', async (_, c) => {
  const { args, names, message } = await c.make()
  const inputs = args.filter((a) => a.startsWith('/'))
  const before = inputs.map(sha)
  const r = await runCli(['mount', mnt, ...args])
  expect({ exitCode: r.exitCode, stderr: r.stderr }).toMatchObject({ exitCode: 3 })
  expect(r.stderr).toContain(names)
  expect(r.stderr).toMatch(message)
  expect(r.stderr.startsWith('snapdelta: ')).toBe(true)
  expect(await isMounted(mnt)).toBe(false)
  expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(mnt)
  expect(readdirSync(mnt)).toEqual([])
  expect(inputs.map(sha)).toEqual(before)
})
