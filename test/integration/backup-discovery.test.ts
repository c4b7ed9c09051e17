// list --lv and mount --lv: a volume's snapshots found through (fake) lvs and
// shown as generations, oldest first; unusable snapshots as errors.
import { promises as fsp } from 'fs'
import path from 'path'
import { forceUnmount, isMounted, Mounted, strictUnmount } from '../helpers/mount'
import { removeScratchRoot, scratchDir } from '../helpers/tmp'
import { runCli } from '../helpers/cli'
import { FakeVolume, jsonOf } from './backup-fixture'

afterAll(removeScratchRoot)

const MiB = 1024 * 1024
const CHUNK = 4096

describe('list --lv and mount --lv', () => {
  const vol = new FakeVolume('discovery')
  let mounted: Mounted | undefined

  beforeAll(async () => {
    await vol.create(2 * MiB, 3)
    const snap = async (name: string) => expect((await vol.tool('lvcreate', '-s', '-n', name, '-L', '256k', `${vol.vg}/${vol.lv}`)).exitCode).toBe(0)
    await snap('s1')
    await vol.write(CHUNK * 10, CHUNK * 3, 31)
    await snap('s2')
    await vol.write(CHUNK * 20, CHUNK, 0)
    await vol.write(2 * MiB - CHUNK, CHUNK, 32)
    await snap('s3')
  })

  afterAll(async () => {
    if (mounted) await forceUnmount(mounted)
  })

  it('list --json: one delta per adjacent pair (older COW, newer data, both named with their LV UUIDs), the newest in full', async () => {
    const uuidOf = (lv: string) => vol.volumes().find((v) => v.name === lv)!.uuid
    const list = jsonOf(await vol.cli(['list', '--lv', `${vol.vg}/${vol.lv}`, '--json'])) as any
    expect(list.volume).toBe('vg-test/my-data')
    expect(list.origin.sizeBytes).toBe(2 * MiB)
    expect(list.snapshots.map((s: any) => [s.name, s.uuid])).toEqual(['s1', 's2', 's3'].map((s) => [s, uuidOf(s)]))
    expect(list.generations).toMatchObject([
      { name: '0001-s1..s2', kind: 'delta', from: { name: 's1', uuid: uuidOf('s1') }, to: { name: 's2', uuid: uuidOf('s2') }, runs: 3, changedBytes: 5 * CHUNK },
      { name: '0002-s2..s3', kind: 'delta', from: { name: 's2', uuid: uuidOf('s2') }, to: { name: 's3', uuid: uuidOf('s3') }, runs: 2, changedBytes: 2 * CHUNK },
      { name: '0003-s3', kind: 'full', snapshot: 's3', to: { name: 's3', uuid: uuidOf('s3') }, deviceSizeBytes: 2 * MiB },
    ])
    expect(list.generations[0].cowPath).toBe(vol.image('s1') + '-cow')
    expect(list.generations[0].snapshotPath).toBe(vol.image('s2'))
    // What the kernel (here: the fake dmsetup) says it committed is what the table holds.
    expect(list.snapshots[0].kernelExceptions).toBe(list.generations[0].exceptions)
  })

  it('mount --lv: the generations as directories; applying a delta onto the older snapshot gives the newer one', async () => {
    const mnt = path.join(scratchDir('discovery-mnt'), 'm')
    await fsp.mkdir(mnt)
    const r = await runCli(['mount', mnt, '--lv', `${vol.vg}/${vol.lv}`, '--json'], { env: vol.env })
    expect(r.exitCode).toBe(0)
    mounted = { mountpoint: mnt, pid: JSON.parse(r.stdout).pid, summary: JSON.parse(r.stdout) }
    expect(await isMounted(mnt)).toBe(true)
    expect((await fsp.readdir(mnt)).sort()).toEqual(['0001-s1..s2', '0002-s2..s3', '0003-s3'])
    // The summary and info.json name the snapshots as lvs does, the newest in full too.
    const uuidOf = (lv: string) => vol.volumes().find((v) => v.name === lv)!.uuid
    const [s1, s2, s3] = ['s1', 's2', 's3'].map((lv) => ({ name: lv, uuid: uuidOf(lv) }))
    expect(mounted.summary.generations).toMatchObject([{ from: s1, to: s2 }, { from: s2, to: s3 }, { kind: 'full', to: s3 }])
    const info = JSON.parse(await fsp.readFile(path.join(mnt, '0002-s2..s3', 'info.json'), 'utf8'))
    expect(info).toMatchObject({ from: s2, to: s3 })
    expect(JSON.parse(await fsp.readFile(path.join(mnt, '0003-s3', 'info.json'), 'utf8'))).toMatchObject({ to: s3 })
    const backup = path.join(vol.dir, 'from-s1.img')
    await fsp.copyFile(vol.image('s1'), backup)
    const apply = await runCli(['apply', path.join(mnt, '0001-s1..s2'), backup, '--quiet'])
    expect(apply.exitCode).toBe(0)
    expect((await fsp.readFile(backup)).equals(await fsp.readFile(vol.image('s2')))).toBe(true)
    const full = await fsp.readFile(path.join(mnt, '0003-s3', 'full.img'))
    expect(full.equals(await fsp.readFile(vol.image('s3')))).toBe(true)
    await strictUnmount(mounted)
    mounted = undefined
  })

  it('a merging, inactive or invalid snapshot becomes an error entry that says why, never a delta', async () => {
    await vol.fake('set-attr', vol.vg, 's1', 'Swi-a-s---')
    let list = jsonOf(await vol.cli(['list', '--lv', `${vol.vg}/${vol.lv}`, '--json'])) as any
    expect(list.generations.map((g: any) => g.kind)).toEqual(['error', 'delta', 'full'])
    expect(list.generations[0].message).toBe('no delta from snapshot vg-test/s1: it is being merged into its origin (lvconvert --merge)')
    await vol.fake('set-attr', vol.vg, 's1', 'swi-a-s---')
    await vol.fake('set-attr', vol.vg, 's2', 'swi---s---')
    await vol.fake('invalidate', vol.vg, 's3')
    list = jsonOf(await vol.cli(['list', '--lv', `${vol.vg}/${vol.lv}`, '--json'])) as any
    expect(list.generations.map((g: any) => g.kind)).toEqual(['error', 'error', 'error'])
    expect(list.generations[0].message).toContain('no delta into snapshot vg-test/s2: it is not active')
    expect(list.generations[1].message).toContain('no delta from snapshot vg-test/s2: it is not active')
    expect(list.generations[2].message).toContain('snapshot vg-test/s3 cannot be read: LVM marks it invalid')
    const text = await vol.cli(['list', '--lv', `${vol.vg}/${vol.lv}`])
    expect(text.exitCode).toBe(0)
    expect(text.stdout).toContain('0001-s1..s2/  ERROR: no delta into snapshot vg-test/s2: it is not active (lv_attr swi---s---); activate it with lvchange -ay vg-test/s2')
  })

  it('a volume that does not exist: exit 3, naming it', async () => {
    const r = await vol.cli(['list', '--lv', 'vg-test/nothing'])
    expect(r.exitCode).toBe(3)
    expect(r.stderr).toContain('logical volume vg-test/nothing not found')
  })
})
