// The real thin_delta (thin-provisioning-tools 0.9.0) on the pools captured
// from a real kernel: its output, parsed, is what the fixtures recorded, and
// the runs made from it turn a copy of the older snapshot into the newer one
// byte for byte (checked with cmp), left_only ranges included.
import { execFileSync } from 'child_process'
import { copyFileSync, promises as fsp, readFileSync, writeFileSync } from 'fs'
import path from 'path'
import { ExternalCommandError, InterruptedError, InvalidInputError } from '../../src/errors'
import { ChunkRuns } from '../../src/map/chunk-runs'
import { thinDeltaRuns } from '../../src/thin/thin-delta-runs'
import { runThinDelta } from '../../src/thin/thin-delta-tool'
import { parseThinDelta, ThinDelta } from '../../src/thin/thin-delta-xml'
import { toThinId } from '../../src/thin/thin-id'
import { thinFixtureFile, thinFixtureImage, thinFixtureMeta, thinFixtureNames, zeroRunsOf } from '../helpers/thin-fixtures'
import { removeScratchRoot, scratchDir } from '../helpers/tmp'

let dir: string
beforeAll(() => {
  dir = scratchDir('thin-delta')
})
afterAll(removeScratchRoot)

const pairs = thinFixtureNames().flatMap((name) => thinFixtureMeta(name).pairs.map((pair) => ({ name, pair, label: `${name} ${pair.left}->${pair.right}` })))
const idsOf = (pair: { left_thin_id: number; right_thin_id: number }) => ({ left: toThinId(pair.left_thin_id, 'left'), right: toThinId(pair.right_thin_id, 'right') })
const rangesOf = (d: ThinDelta) => ({ blockSectors: d.dataBlockSizeSectors, begins: Array.from(d.beginBlocks), lengths: Array.from(d.lengthBlocks), kinds: Array.from(d.kinds) })

/** Writes every run of `runs` from `source` onto `target`; with `zeroRuns`, writes zeros there instead of reading them. */
async function applyRuns(target: string, source: string, runs: ChunkRuns, zeroRuns: ChunkRuns | null): Promise<void> {
  const [out, from] = await Promise.all([fsp.open(target, 'r+'), fsp.open(source, 'r')])
  try {
    for (let i = 0; i < runs.count; i++) {
      for (let at = runs.offsetBytes(i); at < runs.endBytes(i); ) {
        const z = zeroRuns ? zeroRuns.findRun(at) : -1
        const end = z >= 0 ? Math.min(zeroRuns!.endBytes(z), runs.endBytes(i)) : nextZeroStart(zeroRuns, at, runs.endBytes(i))
        const bytes = Buffer.alloc(end - at)
        if (z < 0) await from.read(bytes, 0, bytes.length, at)
        await out.write(bytes, 0, bytes.length, at)
        at = end
      }
    }
  } finally {
    await Promise.all([out.close(), from.close()])
  }
}

function nextZeroStart(zeroRuns: ChunkRuns | null, at: number, end: number): number {
  if (!zeroRuns) return end
  const next = zeroRuns.firstRunEndingAfter(at)
  return next < zeroRuns.count ? Math.min(zeroRuns.offsetBytes(next), end) : end
}

/** True when cmp(1) finds the files identical. */
function cmpIdentical(a: string, b: string): boolean {
  try {
    execFileSync('cmp', ['--quiet', a, b])
    return true
  } catch {
    return false
  }
}

describe('the real thin_delta on the real-kernel fixtures', () => {
  it.each(pairs)('$label: offline on tmeta.img, and -m on tmeta-held.img, parse to the recorded delta', async ({ name, pair }) => {
    const recorded = parseThinDelta(readFileSync(thinFixtureFile(name, pair.delta_file)), { source: pair.delta_file, ...idsOf(pair) })
    const offline = await runThinDelta({ metadataPath: thinFixtureImage(name, 'tmeta', dir), ...idsOf(pair), metadataSnapshot: false })
    const held = await runThinDelta({ metadataPath: thinFixtureImage(name, 'tmeta-held', dir), ...idsOf(pair), metadataSnapshot: true })
    expect(recorded.count).toBeGreaterThan(0)
    expect(rangesOf(offline)).toEqual(rangesOf(recorded))
    expect(rangesOf(held)).toEqual(rangesOf(recorded))
  })

  it.each(pairs)('$label: a copy of the older snapshot plus every run read from the newer one is cmp-identical to it', async ({ name, pair }) => {
    const meta = thinFixtureMeta(name)
    const delta = await runThinDelta({ metadataPath: thinFixtureImage(name, 'tmeta', dir), ...idsOf(pair), metadataSnapshot: false })
    const built = thinDeltaRuns(delta, meta.volume_bytes)
    const { runs, totals } = built
    const zeroRuns = zeroRunsOf(built)
    const newer = thinFixtureImage(name, pair.right, dir)
    expect(totals.left_only.blocks).toBeGreaterThan(0)
    // left_only ranges read zeros from the newer snapshot...
    const newerBytes = readFileSync(newer)
    for (let i = 0; i < zeroRuns.count; i++) expect(newerBytes.subarray(zeroRuns.offsetBytes(i), zeroRuns.endBytes(i)).every((b) => b === 0)).toBe(true)
    // ...so copying every run from it is exact, and so is writing zeros there without reading.
    for (const zeros of [null, zeroRuns]) {
      const target = path.join(dir, `${name}-${pair.left}-${pair.right}-${zeros ? 'zeros' : 'read'}.img`)
      copyFileSync(thinFixtureImage(name, pair.left, dir), target)
      expect(cmpIdentical(target, newer)).toBe(false)
      await applyRuns(target, newer, runs, zeros)
      expect(cmpIdentical(target, newer)).toBe(true)
    }
  })

  it('leaves old data behind when the left_only runs are skipped: they must be written', async () => {
    const name = 'a-raw-64k'
    const pair = thinFixtureMeta(name).pairs[0]
    const delta = await runThinDelta({ metadataPath: thinFixtureImage(name, 'tmeta', dir), ...idsOf(pair), metadataSnapshot: false })
    const built = thinDeltaRuns(delta, thinFixtureMeta(name).volume_bytes)
    const { runs } = built
    const zeroRuns = zeroRunsOf(built)
    const target = path.join(dir, 'skip-left-only.img')
    copyFileSync(thinFixtureImage(name, pair.left, dir), target)
    const newer = readFileSync(thinFixtureImage(name, pair.right, dir))
    const fd = await fsp.open(target, 'r+')
    for (let i = 0; i < runs.count; i++) {
      for (let at = runs.offsetBytes(i); at < runs.endBytes(i); at += runs.chunkSizeBytes) {
        if (zeroRuns.findRun(at) < 0) await fd.write(newer, at, runs.chunkSizeBytes, at)
      }
    }
    await fd.close()
    expect(cmpIdentical(target, thinFixtureImage(name, pair.right, dir))).toBe(false)
  })

  it.each(thinFixtureNames())('%s: the chain s1 -> s2 -> s3 through both deltas gives s3', async (name) => {
    const meta = thinFixtureMeta(name)
    const target = path.join(dir, `${name}-chain.img`)
    copyFileSync(thinFixtureImage(name, 's1', dir), target)
    for (const pair of meta.pairs.filter((p) => p.left !== 's1' || p.right === 's2')) {
      const { runs } = thinDeltaRuns(await runThinDelta({ metadataPath: thinFixtureImage(name, 'tmeta', dir), ...idsOf(pair), metadataSnapshot: false }), meta.volume_bytes)
      await applyRuns(target, thinFixtureImage(name, pair.right, dir), runs, null)
    }
    expect(cmpIdentical(target, thinFixtureImage(name, 's3', dir))).toBe(true)
  })
})

describe('runThinDelta refusals, with the real tool', () => {
  const ids = { left: toThinId(2, 'left'), right: toThinId(3, 'right') }
  const tmeta = () => thinFixtureImage('a-raw-64k', 'tmeta', dir)

  it('accepts a path that starts with "-" (it goes after `--`)', async () => {
    const here = process.cwd()
    copyFileSync(tmeta(), path.join(dir, '-tmeta.img'))
    process.chdir(dir)
    try {
      expect((await runThinDelta({ metadataPath: '-tmeta.img', ...ids, metadataSnapshot: false })).count).toBe(19)
    } finally {
      process.chdir(here)
    }
  })

  it('says which thin id does not exist (exit 3)', async () => {
    const run = runThinDelta({ metadataPath: tmeta(), left: ids.left, right: toThinId(9, 'right'), metadataSnapshot: false })
    await expect(run).rejects.toThrow(InvalidInputError)
    await expect(run).rejects.toThrow(/thin device id 9 does not exist in this pool's metadata \(thin_delta: Unable to find mapping tree for snap2 \(9\)\)$/)
  })

  it('reports -m without a held metadata snapshot as the tool failing (exit 7), with its message and without its usage text', async () => {
    const run = runThinDelta({ metadataPath: tmeta(), ...ids, metadataSnapshot: true })
    await expect(run).rejects.toThrow(ExternalCommandError)
    await expect(run).rejects.toThrow(/^thin_delta -m --snap1 2 --snap2 3 -- \S+tmeta\.img failed \(exit 1\): no current metadata snap$/)
  })

  it('says when a file is not thin metadata (exit 3)', async () => {
    const junk = path.join(dir, 'junk.img')
    writeFileSync(junk, Buffer.alloc(4 * 2 ** 20, 0x5a))
    const run = runThinDelta({ metadataPath: junk, ...ids, metadataSnapshot: false })
    await expect(run).rejects.toThrow(InvalidInputError)
    await expect(run).rejects.toThrow(`${junk} is not thin-pool metadata, or it is damaged (thin_delta: bad checksum in superblock, wanted `)
  })

  it('stops thin_delta and refuses when its output passes the cap', async () => {
    await expect(runThinDelta({ metadataPath: tmeta(), ...ids, metadataSnapshot: false, maxOutputBytes: 500 })).rejects.toThrow(/printed more than 500 B: refused/)
  })

  it('stops thin_delta when aborted (exit 130)', async () => {
    const aborter = new AbortController()
    aborter.abort()
    await expect(runThinDelta({ metadataPath: tmeta(), ...ids, metadataSnapshot: false, signal: aborter.signal })).rejects.toThrow(InterruptedError)
  })

  it('names the package when thin_delta is not installed', async () => {
    const saved = process.env.PATH
    process.env.PATH = dir
    try {
      await expect(runThinDelta({ metadataPath: tmeta(), ...ids, metadataSnapshot: false })).rejects.toThrow(
        'cannot run thin_delta: it is not installed (install the Debian package thin-provisioning-tools)',
      )
    } finally {
      process.env.PATH = saved
    }
  })
})
