// The live thin-pool side against the fake LVM tools (test/fakes): finding a
// thin LV's id and pool, the pool's metadata device and -tpool name, holding
// the metadata snapshot around work (released on every way out, never taken
// from someone else) and read-only activation. thin_delta stays the real one,
// reading the fixture's metadata captured while a snapshot was held.
import { spawn } from 'child_process'
import { mkdirSync, readFileSync } from 'fs'
import path from 'path'
import { ExternalCommandError, MetadataSnapshotHeldError, NotFoundError, UsageError } from '../../src/errors'
import { withMetadataSnapshot, reserveMetadataSnapshot } from '../../src/lvm/metadata-snapshot'
import { activateThinReadOnly } from '../../src/lvm/thin-activation'
import { findThinPool, findThinVolume, ThinPool } from '../../src/lvm/thin-pool'
import { readThinPoolStatus } from '../../src/lvm/thin-pool-status'
import { runThinDelta } from '../../src/thin/thin-delta-tool'
import { parseThinDelta } from '../../src/thin/thin-delta-xml'
import { toThinId } from '../../src/thin/thin-id'
import { thinFixtureFile, thinFixtureImage } from '../helpers/thin-fixtures'
import { removeScratchRoot } from '../helpers/tmp'
import { FakeVolume } from './backup-fixture'

const CHILD = path.join(__dirname, '..', 'helpers', 'metadata-snapshot-child.js')
// Hyphens in both names: device-mapper doubles them.
const VG = 'tv-b'
const POOL = 'my-pool'
const TPOOL = 'tv--b-my--pool-tpool'
const FIXTURE = 'a-raw-64k'

let fake: FakeVolume
let pool: ThinPool
const saved = { PATH: process.env.PATH, SNAPDELTA_FAKE_LVM: process.env.SNAPDELTA_FAKE_LVM }

beforeAll(async () => {
  fake = new FakeVolume('thin-pool', VG, 'thin')
  mkdirSync(fake.lvmRoot, { recursive: true })
  const image = (name: string) => thinFixtureImage(FIXTURE, name, fake.dir)
  await fake.fake('create-thin-pool', VG, POOL, image('tmeta-held'), '65536', '266')
  await fake.fake('create-thin', VG, 'thin', POOL, '1', image('s3'), '', 'Vwi-a-tz--')
  await fake.fake('create-thin', VG, 's1', POOL, '2', image('s1'), 'thin')
  await fake.fake('create-thin', VG, 's2', POOL, '3', image('s2'), 'thin', 'Vwi-a-tz--')
  await fake.fake('create-thin', VG, 's3', POOL, '4', image('s3'), 'thin')
  // The code under test runs the fakes in this process.
  process.env.PATH = fake.env.PATH
  process.env.SNAPDELTA_FAKE_LVM = fake.lvmRoot
  pool = await findThinPool({ vg: VG, lv: POOL })
})

afterAll(() => {
  Object.assign(process.env, saved)
  removeScratchRoot()
})

/** The fake's calls since `from` (an index into calls.log), dmsetup and lvchange only. */
const callsSince = (from: number) => fake.calls().slice(from).filter(([tool]) => tool === 'dmsetup' || tool === 'lvchange')
const held = async () => {
  const status = await readThinPoolStatus(TPOOL)
  return status.state === 'ok' ? status.heldMetadataRoot : status.state
}
const STATUS = ['dmsetup', 'status', '--', TPOOL]
const RESERVE = ['dmsetup', 'message', '--', TPOOL, '0', 'reserve_metadata_snap']
const RELEASE = ['dmsetup', 'message', '--', TPOOL, '0', 'release_metadata_snap']

describe('finding thin volumes and their pool', () => {
  it('gives a thin snapshot its thin id, pool, size and state (inactive, activation skipped)', async () => {
    expect(await findThinVolume({ vg: VG, lv: 's3' })).toEqual({
      ref: { vg: VG, lv: 's3' },
      thinId: 4,
      pool: { vg: VG, lv: POOL },
      origin: 'thin',
      sizeBytes: 33554432,
      attr: 'Vwi---tz-k',
      active: false,
      readOnly: false,
      skipActivation: true,
      dmPath: path.join(fake.lvmRoot, 'mapper', 'tv--b-s3'),
      uuid: 'fake-thin-s3',
    })
    expect(fake.calls().at(-1)).toEqual(['lvs', '-a', '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'lv_attr,lv_size,thin_id,pool_lv,origin,lv_dm_path,lv_uuid', '--', 'tv-b/s3'])
  })

  it("gives the pool its metadata device (the hidden [pool_tmeta]'s dm path) and the -tpool name, hyphens doubled", () => {
    expect(pool).toEqual({ ref: { vg: VG, lv: POOL }, metadataDmPath: path.join(fake.lvmRoot, 'mapper', 'tv--b-my--pool_tmeta'), tpoolDmName: TPOOL, blockSizeBytes: 65536 })
  })

  it('refuses an LV of the wrong kind, or none', async () => {
    await expect(findThinVolume({ vg: VG, lv: POOL })).rejects.toThrow(new UsageError('tv-b/my-pool is not a thin volume (lv_attr twi-aotz--, pool_lv ``): expected a thin LV or thin snapshot'))
    await expect(findThinVolume({ vg: VG, lv: 'my-pool_tmeta' })).rejects.toThrow(UsageError)
    await expect(findThinPool({ vg: VG, lv: 's1' })).rejects.toThrow(/^tv-b\/s1 is not a thin pool \(lv_attr Vwi---tz-k, metadata_lv ``\)$/)
    await expect(findThinVolume({ vg: VG, lv: 'nope' })).rejects.toThrow(NotFoundError)
    await expect(findThinVolume({ vg: 'no-vg', lv: 'nope' })).rejects.toThrow(/^logical volume no-vg\/nope not found/)
  })
})

describe('withMetadataSnapshot', () => {
  it('reserves the metadata snapshot, runs the work (thin_delta -m reads it), and releases it', async () => {
    const from = fake.calls().length
    const recorded = parseThinDelta(readFileSync(thinFixtureFile(FIXTURE, 'delta-s1-s2.xml')), { source: 'recorded', left: toThinId(2, 'l'), right: toThinId(3, 'r') })
    const delta = await withMetadataSnapshot(pool, async (h) => {
      expect(await held()).toBe(266)
      return runThinDelta({ metadataPath: h.pool.metadataDmPath, left: toThinId(2, 'l'), right: toThinId(3, 'r'), metadataSnapshot: true, signal: h.signal })
    })
    expect(Array.from(delta.beginBlocks)).toEqual(Array.from(recorded.beginBlocks))
    expect(Array.from(delta.kinds)).toEqual(Array.from(recorded.kinds))
    expect(await held()).toBeNull()
    expect(callsSince(from)).toEqual([STATUS, RESERVE, STATUS, RELEASE, STATUS])
  })

  it('releases it when the work throws, and passes the error on', async () => {
    const from = fake.calls().length
    const failure = new Error('the copy failed')
    await expect(withMetadataSnapshot(pool, async () => Promise.reject(failure))).rejects.toBe(failure)
    expect(await held()).toBeNull()
    expect(callsSince(from)).toEqual([STATUS, RESERVE, RELEASE, STATUS])
  })

  it('refuses (exit 7) when someone else holds one, and never releases it', async () => {
    await fake.tool('dmsetup', 'message', '--', TPOOL, '0', 'reserve_metadata_snap')
    const from = fake.calls().length
    const work = jest.fn()
    try {
      const run = withMetadataSnapshot(pool, work)
      await expect(run).rejects.toThrow(MetadataSnapshotHeldError)
      await expect(run).rejects.toMatchObject({ exitCode: 7 })
      await expect(run).rejects.toThrow(/^thin pool tv-b\/my-pool already has a metadata snapshot held \(its root is block 266; dmsetup status tv--b-my--pool-tpool\)/)
      // The same when another tool reserves it between the status check and the reserve: EBUSY.
      await expect(reserveMetadataSnapshot(pool)).rejects.toThrow(/already has a metadata snapshot held \(the reserve message failed with EBUSY/)
      expect(work).not.toHaveBeenCalled()
      expect(callsSince(from).filter((c) => c.includes('release_metadata_snap'))).toEqual([])
      expect(await held()).toBe(266)
    } finally {
      await fake.tool('dmsetup', 'message', '--', TPOOL, '0', 'release_metadata_snap')
    }
  })

  it('says so when the release fails', async () => {
    // Someone released it behind snapdelta's back: the kernel answers EINVAL.
    const run = withMetadataSnapshot(pool, () => fake.tool('dmsetup', 'message', '--', TPOOL, '0', 'release_metadata_snap'))
    await expect(run).rejects.toThrow(ExternalCommandError)
    await expect(run).rejects.toThrow(/^the metadata snapshot snapdelta reserved on thin pool tv-b\/my-pool could not be released \(.*Invalid argument.*\); if `dmsetup status tv--b-my--pool-tpool` still shows one held/)
  })
})

describe('withMetadataSnapshot when the process is told to stop', () => {
  /** Runs the child until it prints "held", sends `signal`, and returns how it ended. */
  async function interrupt(mode: 'wait' | 'delta', signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    const child = spawn(process.execPath, [CHILD, VG, POOL, mode], { env: { ...fake.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
      child.on('close', (code, sig) => resolve({ code, signal: sig, stderr })),
    )
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve())
      void ended.then((r) => reject(new Error(`the child ended before holding the snapshot: ${JSON.stringify(r)}`)))
    })
    // Let the delta loop get into a thin_delta run.
    if (mode === 'delta') await new Promise((r) => setTimeout(r, 150))
    child.kill(signal)
    return ended
  }

  it.each([
    ['wait', 'SIGTERM'],
    ['wait', 'SIGINT'],
    ['delta', 'SIGTERM'],
  ] as const)('while the work %s: %s releases the snapshot, then ends the process by that signal', async (mode, signal) => {
    const from = fake.calls().length
    const result = await interrupt(mode, signal)
    expect(result).toEqual({ code: null, signal, stderr: '' })
    expect(await held()).toBeNull()
    const calls = callsSince(from)
    expect(calls.slice(0, 2)).toEqual([STATUS, RESERVE])
    expect(calls.filter((c) => c.includes('release_metadata_snap'))).toEqual([RELEASE])
  })
})

describe('activateThinReadOnly', () => {
  it('makes an inactive, activation-skipped snapshot read-only, then activates it past the skip flag', async () => {
    const from = fake.calls().length
    const change = await activateThinReadOnly(await findThinVolume({ vg: VG, lv: 's3' }))
    expect(change).toMatchObject({ activated: true, madeReadOnly: true, volume: { attr: 'Vri-a-tz-k', active: true, readOnly: true } })
    expect(callsSince(from)).toEqual([
      ['lvchange', '--permission', 'r', '--', 'tv-b/s3'],
      ['lvchange', '--activate', 'y', '--ignoreactivationskip', '--', 'tv-b/s3'],
    ])
  })

  it('leaves an active snapshot alone', async () => {
    const from = fake.calls().length
    const change = await activateThinReadOnly(await findThinVolume({ vg: VG, lv: 's2' }))
    expect(change).toMatchObject({ activated: false, madeReadOnly: false })
    expect(callsSince(from)).toEqual([])
  })

  it('(the fake, like LVM: plain lvchange -ay on a skip-flagged snapshot succeeds and activates nothing)', async () => {
    expect((await fake.tool('lvchange', '-ay', '--', `${VG}/s1`)).exitCode).toBe(0)
    expect((await findThinVolume({ vg: VG, lv: 's1' })).active).toBe(false)
  })
})
