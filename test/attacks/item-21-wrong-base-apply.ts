// Issue 9: apply wrote a delta onto whatever TARGET it was given and exited
// 0: a generation applied onto the wrong backup (skipped, replayed, another
// volume, an old snapshot written to since) gave a backup that matches no
// snapshot. apply now checks every run of TARGET against the old snapshot's
// bytes (or a copy's base.sha256) before its first write
// (src/copy/base-check.ts). On the real LVM fixture f-lvm2-4k-64k: gen1 =
// cow1 + snap2 (base -> snap2), gen2 = cow2 + origin.img (snap2 -> snap3).
import { execFileSync } from 'child_process'
import { copyFileSync, readFileSync, writeFileSync } from 'fs'
import path from 'path'
import { Attack } from './attack'
import { snapdelta } from './attack-helpers'
import { realKernelFixture, RealKernelFixture } from '../helpers/fixtures'
import { forceUnmount, Mounted, mountWithCli } from '../helpers/mount'
import { scratchDir } from '../helpers/tmp'
import { sha256File } from '../integration/copy-helpers'
import { openGeneration } from '../../src/generation/generation'
import { readExceptionTableFromPath } from '../../src/cow/exception-table'

const FIXTURE = 'f-lvm2-4k-64k'
const BASE_NEEDED = 'This delta needs a backup of the snapshot this delta starts from'

interface Setup {
  fx: RealKernelFixture
  dir: string
  /** A private copy of base.img: the backup holding the old snapshot of gen1. */
  target: string
}

function setup(label: string): Setup {
  const fx = realKernelFixture(FIXTURE)
  const dir = scratchDir(label)
  const target = path.join(dir, 'backup.img')
  copyFileSync(fx.base, target)
  return { fx, dir, target }
}

/** Mounts gen1 and gen2 (optionally gen1 over another COW) and runs `work`; always unmounts. */
async function withGenerations<T>(s: Setup, work: (m: Mounted) => Promise<T>, cow1 = s.fx.cow1): Promise<T> {
  const mountpoint = path.join(s.dir, 'mnt')
  let mounted: Mounted | undefined
  try {
    mounted = await mountWithCli(mountpoint, [
      '--mkdir',
      ...['--cow', cow1, '--snapshot', s.fx.snap2, '--name', 'gen1'],
      ...['--cow', s.fx.cow2, '--snapshot', s.fx.origin, '--name', 'gen2'],
    ])
    return await work(mounted)
  } finally {
    await forceUnmount({ mountpoint, pid: mounted?.pid })
  }
}

/** Runs of cow's generation (as [offset, length]) where `held` is neither the old nor the new image. */
async function runsHoldingNeither(cow: string, snapshot: string, oldImage: string, held: string): Promise<Array<[number, number]>> {
  const generation = await openGeneration({ cowPath: cow, snapshotPath: snapshot })
  try {
    const [o, n, h] = [oldImage, snapshot, held].map((f) => readFileSync(f))
    const out: Array<[number, number]> = []
    for (let i = 0; i < generation.runs.count; i++) {
      const [a, b] = [generation.runs.offsetBytes(i), generation.runs.endBytes(i)]
      if (!h.subarray(a, b).equals(o.subarray(a, b)) && !h.subarray(a, b).equals(n.subarray(a, b))) out.push([a, b - a])
    }
    return out
  } finally {
    await generation.close()
  }
}

/** Number of runs of cow's generation whose new data differs from the old. */
async function runsChanged(cow: string, snapshot: string, oldImage: string): Promise<number> {
  const generation = await openGeneration({ cowPath: cow, snapshotPath: snapshot })
  try {
    const [o, n] = [oldImage, snapshot].map((f) => readFileSync(f))
    let count = 0
    for (let i = 0; i < generation.runs.count; i++) {
      const [a, b] = [generation.runs.offsetBytes(i), generation.runs.endBytes(i)]
      if (!o.subarray(a, b).equals(n.subarray(a, b))) count++
    }
    return count
  } finally {
    await generation.close()
  }
}

/** apply must refuse with exit 3, naming `run`, and leave TARGET byte-identical. */
async function expectRefused(args: string[], target: string, run: [number, number], extra?: RegExp): Promise<void> {
  const before = sha256File(target)
  const result = await snapdelta(['apply', '--quiet', ...args])
  expect(result.exitCode).toBe(3)
  expect(result.stderr).toContain(`holds neither the old nor the new snapshot's data in the run at byte ${run[0]}, ${run[1]} bytes long`)
  expect(result.stderr).toContain(BASE_NEEDED)
  expect(result.stderr).toContain(`${target} was not changed`)
  if (extra) expect(result.stderr).toMatch(extra)
  expect(sha256File(target)).toBe(before)
}

async function applyOk(args: string[]): Promise<{ runs: number; runsAlreadyNew: number; baseCheckedBy: string }> {
  const result = await snapdelta(['apply', '--json', ...args])
  expect(result.stderr).toBe('')
  expect(result.exitCode).toBe(0)
  return JSON.parse(result.stdout)
}

export const attacks: Attack[] = [
  {
    item: 21,
    title: 'apply of gen2 onto a backup of base (a generation skipped) is refused with exit 3, naming the first run and the base; TARGET unchanged',
    run: async () => {
      const s = setup('skip-generation')
      // Not luck: cow2's runs cover chunks that changed between base and snap2.
      const offending = await runsHoldingNeither(s.fx.cow2, s.fx.origin, s.fx.snap2, s.fx.base)
      expect(offending.length).toBeGreaterThan(0)
      await withGenerations(s, async (m) => {
        await expectRefused([`${m.mountpoint}/gen2`, s.target], s.target, offending[0])
        expect(sha256File(s.target)).toBe(s.fx.meta.images['base.img'].sha256)
      })
    },
  },
  {
    item: 21,
    title: 'gen1 onto base succeeds; gen1 again (already new) succeeds; then gen2; gen1 replayed onto snap3 is refused',
    run: async () => {
      const s = setup('in-order')
      const replayOffending = await runsHoldingNeither(s.fx.cow1, s.fx.snap2, s.fx.base, s.fx.origin)
      expect(replayOffending.length).toBeGreaterThan(0)
      await withGenerations(s, async (m) => {
        const first = await applyOk([`${m.mountpoint}/gen1`, s.target])
        expect(first).toMatchObject({ runsAlreadyNew: 0, baseCheckedBy: 'old snapshot' })
        expect(sha256File(s.target)).toBe(s.fx.meta.images['snap2.img'].sha256)
        const again = await applyOk([`${m.mountpoint}/gen1`, s.target])
        // cow1 also lists chunks first written after snap2: unchanged in gen1, they count as holding the old data.
        expect(again.runsAlreadyNew).toBe(await runsChanged(s.fx.cow1, s.fx.snap2, s.fx.base))
        expect(sha256File(s.target)).toBe(s.fx.meta.images['snap2.img'].sha256)
        await applyOk([`${m.mountpoint}/gen2`, s.target])
        expect(sha256File(s.target)).toBe(s.fx.meta.images['origin.img'].sha256)
        await expectRefused([`${m.mountpoint}/gen1`, s.target], s.target, replayOffending[0])
      })
    },
  },
  {
    item: 21,
    title: 'a run where TARGET holds neither (one byte flipped) is refused naming that run; a run cut half-way (part old, part new) is accepted',
    run: async () => {
      const s = setup('flipped-byte')
      const generation = await openGeneration({ cowPath: s.fx.cow1, snapshotPath: s.fx.snap2 })
      const runs = generation.runs
      await generation.close()
      // A run of several chunks whose last chunk's data really changed.
      let run = 0
      const [base, snap2] = [readFileSync(s.fx.base), readFileSync(s.fx.snap2)]
      while (runs.lengthBytes(run) < 2 * runs.chunkSizeBytes) run++
      const [start, end] = [runs.offsetBytes(run), runs.endBytes(run)]
      expect(base.subarray(start, end).equals(snap2.subarray(start, end))).toBe(false)
      await withGenerations(s, async (m) => {
        const flipped = Buffer.from(base)
        flipped[end - 100] ^= 0xff
        writeFileSync(s.target, flipped)
        await expectRefused([`${m.mountpoint}/gen1`, s.target], s.target, [start, end - start], new RegExp(`from byte ${end - 512}\\b`))
        // What a cut apply leaves: the first chunk of the run new, the rest old.
        const cut = Buffer.from(base)
        snap2.copy(cut, start, start, start + runs.chunkSizeBytes)
        writeFileSync(s.target, cut)
        await applyOk([`${m.mountpoint}/gen1`, s.target])
        expect(sha256File(s.target)).toBe(s.fx.meta.images['snap2.img'].sha256)
      })
    },
  },
  {
    item: 21,
    title: 'a copied generation directory is checked with its base.sha256; without it, apply is refused and says to copy it along',
    run: async () => {
      const s = setup('copied-dir')
      const offending = await runsHoldingNeither(s.fx.cow2, s.fx.origin, s.fx.snap2, s.fx.base)
      const copies = path.join(s.dir, 'copies')
      await withGenerations(s, async (m) => {
        execFileSync('mkdir', ['-p', copies])
        // cp reads the mount, which its own server process answers.
        for (const gen of ['gen1', 'gen2']) execFileSync('cp', ['-r', `${m.mountpoint}/${gen}`, copies])
      })
      // Read from its own files now: the mount is gone.
      const result = await snapdelta(['apply', '--quiet', path.join(copies, 'gen2'), s.target])
      expect(result.exitCode).toBe(3)
      expect(result.stderr).toContain(`holds neither the old nor the new snapshot's data in the run at byte ${offending[0][0]}, ${offending[0][1]} bytes long`)
      expect(result.stderr).toContain('apply it from the mounted generation directory')
      expect(sha256File(s.target)).toBe(s.fx.meta.images['base.img'].sha256)
      execFileSync('rm', [path.join(copies, 'gen1', 'base.sha256')])
      const missing = await snapdelta(['apply', '--quiet', path.join(copies, 'gen1'), s.target])
      expect(missing.exitCode).toBe(3)
      expect(missing.stderr).toContain('base.sha256')
      expect(missing.stderr).toContain('rsync -a --delete GEN/changed GEN/chunks.map GEN/base.sha256 host:/srv/delta/')
      expect(sha256File(s.target)).toBe(s.fx.meta.images['base.img'].sha256)
      execFileSync('cp', [path.join(copies, 'gen2', 'base.sha256'), path.join(copies, 'gen1', 'base.sha256')])
      // Another generation's base.sha256 does not pass for this one.
      const foreign = await snapdelta(['apply', '--quiet', path.join(copies, 'gen1'), s.target])
      expect(foreign.exitCode).toBe(3)
      expect(foreign.stderr).toMatch(/base.sha256 of .* (lists bytes|covers) .*belongs to another generation/)
    },
  },
  {
    item: 21,
    title: 'a copied directory with its own base.sha256 applies onto the right base, and again (already new)',
    run: async () => {
      const s = setup('copied-dir-ok')
      const copies = path.join(s.dir, 'copies')
      await withGenerations(s, async (m) => {
        execFileSync('mkdir', ['-p', copies])
        execFileSync('cp', ['-r', `${m.mountpoint}/gen1`, copies])
      })
      const first = await applyOk([path.join(copies, 'gen1'), s.target])
      expect(first).toMatchObject({ baseCheckedBy: 'base.sha256', runsAlreadyNew: 0 })
      expect(sha256File(s.target)).toBe(s.fx.meta.images['snap2.img'].sha256)
      const again = await applyOk([path.join(copies, 'gen1'), s.target])
      expect(again.runsAlreadyNew).toBe(await runsChanged(s.fx.cow1, s.fx.snap2, s.fx.base))
      expect(again.runsAlreadyNew).toBeGreaterThan(0)
    },
  },
  {
    item: 21,
    title: 'someone wrote to the old snapshot (its COW content changed): apply onto the base is refused',
    run: async () => {
      const s = setup('written-old-snapshot')
      const cow = path.join(s.dir, 'cow1-written.img')
      copyFileSync(s.fx.cow1, cow)
      // A write to the old snapshot lands in the COW chunk that holds its old chunk.
      const table = await readExceptionTableFromPath(cow, { keepNewChunks: true })
      const chunkBytes = table.header.chunkSizeBytes
      // The lowest chunk that changed between base and snap2 (elsewhere TARGET holds the new data too).
      const [base, snap2] = [readFileSync(s.fx.base), readFileSync(s.fx.snap2)]
      const changed = (c: number) => !base.subarray(c * chunkBytes, (c + 1) * chunkBytes).equals(snap2.subarray(c * chunkBytes, (c + 1) * chunkBytes))
      let e = -1
      for (let i = 0; i < table.exceptions; i++) if (changed(table.oldChunks[i]) && (e < 0 || table.oldChunks[i] < table.oldChunks[e])) e = i
      const bytes = readFileSync(cow)
      // The whole chunk: a sector where base and snap2 agree would hold the new data too, and pass.
      bytes.fill(0x5a, table.newChunks![e] * chunkBytes, (table.newChunks![e] + 1) * chunkBytes)
      writeFileSync(cow, bytes)
      const generation = await openGeneration({ cowPath: cow, snapshotPath: s.fx.snap2 })
      const run = generation.runs.findRun(table.oldChunks[e] * chunkBytes)
      const expected: [number, number] = [generation.runs.offsetBytes(run), generation.runs.lengthBytes(run)]
      await generation.close()
      await withGenerations(s, (m) => expectRefused([`${m.mountpoint}/gen1`, s.target], s.target, expected), cow)
    },
  },
]
