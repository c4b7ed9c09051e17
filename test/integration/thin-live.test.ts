// The live form of a thin generation (issue 10): `mount --thin-from VG/S1
// --thin-to VG/S2` and `map` against the fake LVM tools (test/fakes), with
// the real thin_delta reading metadata captured while a snapshot was held.
// The metadata snapshot is reserved and released around thin_delta, an
// inactive snapshot is activated read-only first, and a snapshot someone
// else holds is refused (exit 7) and left held.
import { mkdirSync } from 'fs'
import path from 'path'
import { forceUnmount, Mounted, strictUnmount } from '../helpers/mount'
import { thinFixtureImage, thinFixtureMeta } from '../helpers/thin-fixtures'
import { removeScratchRoot } from '../helpers/tmp'
import { sha256File } from './copy-helpers'
import { FakeVolume, jsonOf } from './backup-fixture'

jest.setTimeout(60_000)

const VG = 'tv-b'
const POOL = 'my-pool'
const TPOOL = 'tv--b-my--pool-tpool'
const FIXTURE = 'a-raw-64k'
let fake: FakeVolume
let mounted: Mounted | undefined
const image = (name: string) => thinFixtureImage(FIXTURE, name, fake.dir)

beforeAll(async () => {
  fake = new FakeVolume('thin-live', VG, 'thin')
  mkdirSync(fake.lvmRoot, { recursive: true })
  await fake.fake('create-thin-pool', VG, POOL, image('tmeta-held'), '65536', '266')
  await fake.fake('create-thin', VG, 'thin', POOL, '1', image('s3'), '', 'Vwi-a-tz--')
  // s1 inactive with the activation-skip flag, as lvcreate -s leaves a thin snapshot.
  await fake.fake('create-thin', VG, 's1', POOL, '2', image('s1'), 'thin')
  await fake.fake('create-thin', VG, 's2', POOL, '3', image('s2'), 'thin', 'Vri-a-tz--')
})
afterAll(async () => {
  if (mounted) await forceUnmount(mounted)
  removeScratchRoot()
})

const dmsetupCalls = (from: number) => fake.calls().slice(from).filter(([tool]) => tool === 'dmsetup').map((c) => c.slice(1).join(' '))

test('map --thin-from/--thin-to: the metadata snapshot is reserved, read with -m and released; s1 activated read-only', async () => {
  const before = fake.calls().length
  const map = jsonOf(await fake.cli(['map', '--thin-from', `${VG}/s1`, '--thin-to', `${VG}/s2`, '--json']))
  const pair = thinFixtureMeta(FIXTURE).pairs.find((p) => p.left === 's1' && p.right === 's2')!
  expect(map).toMatchObject({ kind: 'thin', pool: `${VG}/${POOL}`, fromThinId: 2, toThinId: 3, metadataSnapshot: true, from: { name: 's1' }, to: { name: 's2' } })
  expect((map.runList as number[][]).reduce((n, [, l]) => n + l, 0)).toBe(pair.changed_ranges_bytes.reduce((n, [, , l]) => n + l, 0))
  expect(dmsetupCalls(before)).toEqual([
    `status -- ${TPOOL}`,
    `message -- ${TPOOL} 0 reserve_metadata_snap`,
    `message -- ${TPOOL} 0 release_metadata_snap`,
  ])
  const lvchange = fake.calls().slice(before).filter(([tool]) => tool === 'lvchange')
  expect(lvchange.map((c) => c.join(' '))).toEqual([
    `lvchange --permission r -- ${VG}/s1`,
    `lvchange --activate y --ignoreactivationskip -- ${VG}/s1`,
  ])
})

test('mount --thin-from/--thin-to serves full.img = s2; a metadata snapshot held by someone else: exit 7, left held, nothing mounted', async () => {
  const mountpoint = path.join(fake.dir, 'mnt')
  const summary = jsonOf(await fake.cli(['mount', mountpoint, '--mkdir', '--thin-from', `${VG}/s1`, '--thin-to', `${VG}/s2`, '--name', 'g', '--json']))
  const served: Mounted = { mountpoint, pid: summary.pid as number, summary: summary as unknown as Mounted['summary'] }
  mounted = served
  expect(sha256File(path.join(served.mountpoint, 'g', 'full.img'))).toBe(sha256File(image('s2')))
  await strictUnmount(served)
  mounted = undefined

  await fake.tool('dmsetup', 'message', '--', TPOOL, '0', 'reserve_metadata_snap')
  const before = fake.calls().length
  const refused = await fake.cli(['mount', path.join(fake.dir, 'mnt2'), '--mkdir', '--thin-from', `${VG}/s1`, '--thin-to', `${VG}/s2`])
  expect(refused.exitCode).toBe(7)
  expect(refused.stderr).toMatch(/metadata snapshot/)
  expect(dmsetupCalls(before).filter((c) => c.includes('release'))).toEqual([])
})
