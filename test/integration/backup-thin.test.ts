// snapdelta backup, list --lv and mount --lv on a thin volume (issue 10),
// against the fake LVM's simulated thin pool (test/fakes/thin-sim.js), whose
// metadata is real thin metadata read by the real thin_delta. Writes,
// rewrites with zeros and discards (left_only ranges) between runs; every
// run ends with TARGET equal to the newest thin snapshot; a run killed at
// any step, also while it holds the pool's metadata snapshot, is finished by
// the next one and leaves nothing held; unhealthy pools and someone else's
// metadata snapshot are refused.
import { promises as fsp } from 'fs'
import path from 'path'
import { forceUnmount, Mounted, strictUnmount } from '../helpers/mount'
import { removeScratchRoot } from '../helpers/tmp'
import { FakeVolume, jsonOf } from './backup-fixture'

jest.setTimeout(120_000)
afterAll(removeScratchRoot)

const KiB = 1024
const MiB = 1024 * KiB
const BLOCK = 64 * KiB
const VG = 'vg-t'
const POOL = 'my-pool'
const TPOOL = 'vg--t-my--pool-tpool'
const KILLED = 128

async function thinVolume(label: string): Promise<FakeVolume> {
  const vol = new FakeVolume(label, VG, 'data')
  await fsp.mkdir(vol.lvmRoot, { recursive: true })
  await vol.fake('create-sim-thin-pool', VG, POOL, String(BLOCK))
  await vol.fake('create-sim-thin', VG, 'data', POOL, String(4 * MiB), '7')
  return vol
}

const heldRoot = async (vol: FakeVolume): Promise<string> => (await vol.tool('dmsetup', 'status', '--', TPOOL)).stdout.trim().split(/\s+/)[6]
const dmsetupMessages = (vol: FakeVolume, from: number) =>
  vol.calls().slice(from).filter(([tool, sub]) => tool === 'dmsetup' && sub === 'message').map((c) => c[c.length - 1])

describe('backup of a thin volume', () => {
  let vol: FakeVolume
  beforeAll(async () => {
    vol = await thinVolume('backup-thin')
  })

  test('the first run copies the volume whole into a read-only thin snapshot made without a size', async () => {
    const summary = jsonOf(await vol.backup(['--json']))
    expect(summary).toMatchObject({ mode: 'full', removedSnapshot: null })
    const snapshot = await vol.expectBackedUp()
    const create = vol.calls().find(([tool]) => tool === 'lvcreate')!
    expect(create).toEqual(['lvcreate', '--yes', '--snapshot', '--setactivationskip', 'n', '--permission', 'r', '--name', snapshot, '--', `${VG}/data`])
    expect(vol.volumes().find((v) => v.name === snapshot)!.attr.slice(0, 5)).toBe('Vri-a')
  })

  test('later runs copy the thin delta: rewrites, zeros and discarded blocks all reach the target', async () => {
    const previous = vol.snapshotNames()[0]
    await vol.write(3 * BLOCK + 100, 5000, 21)
    await vol.write(20 * BLOCK, 2 * BLOCK, 0)
    await vol.fake('discard', VG, 'data', String(40 * BLOCK), String(3 * BLOCK))
    // Old data in the discarded blocks: a backup that skipped left_only would keep it.
    const before = await fsp.readFile(vol.target)
    expect(before.subarray(40 * BLOCK, 43 * BLOCK).some((b) => b !== 0)).toBe(true)
    const calls = vol.calls().length

    const summary = jsonOf(await vol.backup(['--json']))
    expect(summary).toMatchObject({ mode: 'delta', removedSnapshot: previous, from: { name: previous } })
    // Whole blocks: 1 rewritten, 2 of zeros, 3 discarded.
    expect(summary.bytesCopied).toBe(6 * BLOCK)
    await vol.expectBackedUp()
    const after = await fsp.readFile(vol.target)
    expect(after.subarray(40 * BLOCK, 43 * BLOCK).every((b) => b === 0)).toBe(true)
    // One thin_delta run for the copy, one for the verification, each inside its own reservation.
    expect(dmsetupMessages(vol, calls)).toEqual(['reserve_metadata_snap', 'release_metadata_snap', 'reserve_metadata_snap', 'release_metadata_snap'])
    expect(await heldRoot(vol)).toBe('-')
    expect(JSON.parse(await fsp.readFile(path.join(vol.stateDir, 'vg--t-data.json'), 'utf8')).metadataSnapshot).toBeNull()
  })

  test('list --lv shows the thin snapshots and generations; mount --lv serves them', async () => {
    await vol.write(7 * BLOCK, BLOCK, 33)
    await vol.tool('lvcreate', '--yes', '--snapshot', '--name', 'probe', '--', `${VG}/data`)
    const base = vol.state().base!
    const list = jsonOf(await vol.cli(['list', '--lv', `${VG}/data`, '--json']))
    expect(list).toMatchObject({ kind: 'thin', pool: { name: `${VG}/${POOL}`, blockSizeBytes: BLOCK, problem: null } })
    expect((list.snapshots as Array<{ name: string }>).map((s) => s.name)).toEqual([base, 'probe'])
    expect(list.generations).toMatchObject([
      { name: `0001-${base}..probe`, kind: 'thin', changedBytes: BLOCK, runs: 1 },
      { name: '0002-probe', kind: 'full' },
    ])
    const text = await vol.cli(['list', '--lv', `${VG}/data`])
    expect(text.stdout).toContain(`thin, pool ${VG}/${POOL}`)
    expect(text.stdout).toMatch(/thin delta: 64 KiB changed in 1 runs \(thin ids \d+ -> \d+, data /)

    const mountpoint = path.join(vol.dir, 'mnt')
    const summary = jsonOf(await vol.cli(['mount', mountpoint, '--mkdir', '--lv', `${VG}/data`, '--json']))
    const mounted: Mounted = { mountpoint, pid: summary.pid as number, summary: summary as unknown as Mounted['summary'] }
    try {
      const gen = path.join(mountpoint, `0001-${base}..probe`)
      expect(JSON.parse(await fsp.readFile(path.join(gen, 'info.json'), 'utf8'))).toMatchObject({ kind: 'thin', pool: `${VG}/${POOL}` })
      const copy = path.join(vol.dir, 'copy.img')
      await fsp.copyFile(vol.target, copy)
      jsonOf(await vol.cli(['apply', gen, copy, '--json']))
      expect((await fsp.readFile(copy)).equals(await fsp.readFile(vol.image('probe')))).toBe(true)
      expect((await fsp.readFile(path.join(mountpoint, '0002-probe', 'full.img'))).equals(await fsp.readFile(vol.image('probe')))).toBe(true)
      await strictUnmount(mounted)
    } finally {
      await forceUnmount(mounted)
    }
    expect(await heldRoot(vol)).toBe('-')
    await vol.tool('lvremove', '--yes', '--', `${VG}/probe`)
  })
})

// Crash point -> the step the state file holds afterwards.
const POINTS: Array<[string, string]> = [
  ['creating-snapshot', 'creating-snapshot'],
  ['lvcreate-done', 'creating-snapshot'],
  ['snapshot-created', 'snapshot-created'],
  ['copy-started', 'copy-started'],
  ['metadata-snapshot-held', 'copy-started'],
  ['mid-copy', 'copy-started'],
  ['copied', 'copied'],
  ['verified', 'verified'],
  ['old-removed', 'verified'],
]

describe('a thin backup killed at every step', () => {
  let vol: FakeVolume
  let seed = 100
  beforeAll(async () => {
    vol = await thinVolume('backup-thin-crash')
    jsonOf(await vol.backup(['--json']))
  })

  test.each(POINTS)('at %s: the next run finishes it and nothing stays held', async (point, step) => {
    const [previous] = vol.snapshotNames()
    await vol.write(2 * BLOCK, 3 * BLOCK, seed++)
    await vol.write(30 * BLOCK + 17, 100, seed++)
    await vol.fake('discard', VG, 'data', String(50 * BLOCK), String(BLOCK))
    const killed = await vol.backup(['--quiet'], { SNAPDELTA_TEST_CRASH_AT: point })
    expect(killed.exitCode).toBe(KILLED)
    expect(vol.state().pending).toMatchObject({ step })
    if (point !== 'old-removed') expect(vol.snapshotNames()).toContain(previous)
    const held = await heldRoot(vol)
    expect(held === '-').toBe(point !== 'metadata-snapshot-held')

    const recovered = await vol.backup(['--json'])
    expect(jsonOf(recovered)).toMatchObject({ mode: 'delta', resumed: true })
    if (point === 'metadata-snapshot-held') expect(recovered.stderr).toContain(`released the metadata snapshot (root block ${held}) that an interrupted backup left held on thin pool ${VG}/${POOL}`)
    await vol.expectBackedUp()
    expect(await heldRoot(vol)).toBe('-')
  })
})

describe('refusals on a thin volume', () => {
  let vol: FakeVolume
  beforeAll(async () => {
    vol = await thinVolume('backup-thin-refusals')
    jsonOf(await vol.backup(['--json']))
  })

  test.each([
    ['out_of_data_space', '-', /out of data space/],
    ['ro', '-', /read-only/],
    ['rw', 'needs_check', /needs_check: its metadata must be repaired first/],
    ['Fail', '-', /failed/],
  ])('a pool in mode %s (%s) gets no snapshot: exit 3 with the reason, nothing created', async (mode, check, reason) => {
    await vol.fake('set-pool-status', VG, POOL, mode, check)
    const calls = vol.calls().length
    const refused = await vol.backup(['--quiet'])
    expect(refused.exitCode).toBe(3)
    expect(refused.stderr).toMatch(reason)
    expect(refused.stderr).toContain(`cannot back up ${VG}/data`)
    expect(vol.calls().slice(calls).filter(([tool]) => tool === 'lvcreate' || tool === 'lvremove')).toEqual([])
    await vol.fake('set-pool-status', VG, POOL, 'rw', '-')
  })

  test("someone else's metadata snapshot: exit 7, left held; a recorded one with another root is not released either", async () => {
    await vol.write(0, BLOCK, 5)
    // Held after the new snapshot was made (the fake pool cannot make one while a metadata snapshot is held; LVM can).
    expect((await vol.backup(['--quiet'], { SNAPDELTA_TEST_CRASH_AT: 'snapshot-created' })).exitCode).toBe(KILLED)
    await vol.tool('dmsetup', 'message', '--', TPOOL, '0', 'reserve_metadata_snap')
    const root = await heldRoot(vol)
    const refused = await vol.backup(['--quiet'])
    expect(refused.exitCode).toBe(7)
    expect(refused.stderr).toMatch(/already has a metadata snapshot held/)
    expect(await heldRoot(vol)).toBe(root)

    // A state file that says a killed run was reserving one, with a root the kernel does not show.
    const statePath = path.join(vol.stateDir, 'vg--t-data.json')
    const state = JSON.parse(await fsp.readFile(statePath, 'utf8'))
    await fsp.writeFile(statePath, JSON.stringify({ ...state, metadataSnapshot: { pool: `${VG}/${POOL}`, rootBlock: Number(root) + 1 } }))
    const unsure = await vol.backup(['--quiet'])
    expect(unsure.exitCode).toBe(7)
    expect(unsure.stderr).toMatch(/cannot tell whether it is its own, and leaves it alone/)
    expect(await heldRoot(vol)).toBe(root)

    await vol.tool('dmsetup', 'message', '--', TPOOL, '0', 'release_metadata_snap')
    jsonOf(await vol.backup(['--json']))
    await vol.expectBackedUp()
  })

  test('map --thin-from/--thin-to given a classic snapshot says it expected a thin one', async () => {
    const base = vol.state().base!
    await vol.tool('lvcreate', '--yes', '--snapshot', '--size', '1M', '--name', 'classic', '--', `${VG}/data`)
    const mixed = await vol.cli(['map', '--thin-from', `${VG}/${base}`, '--thin-to', `${VG}/classic`])
    expect(mixed.exitCode).toBe(2)
    expect(mixed.stderr).toMatch(/vg-t\/classic is not a thin volume .*expected a thin LV or thin snapshot/)
    await vol.tool('lvremove', '--yes', '--', `${VG}/classic`)
  })
})
