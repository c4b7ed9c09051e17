// Device-mapper names and UUIDs as LVM makes them, read from a fake sysfs tree.
import { mkdirSync, writeFileSync } from 'fs'
import path from 'path'
import { lvUuidOfDmUuid, parseLvmDmName, snapshotIdentityOfDevice } from '../../../src/io/dm-identity'
import { removeScratchRoot, scratchDir } from '../../helpers/tmp'

afterAll(removeScratchRoot)

const VG_UUID = 'Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56'
const LV_UUID = 'Qr78St90Uv12Wx34Yz56Ab78Cd90Ef12'

test('dm names: a single - joins VG and LV, a doubled one is a - inside a name, what follows the LV is a layer', () => {
  expect(parseLvmDmName('vg0-home--snap1')).toEqual({ vg: 'vg0', lv: 'home-snap1', layer: null })
  expect(parseLvmDmName('vg0-home--snap1-cow')).toEqual({ vg: 'vg0', lv: 'home-snap1', layer: 'cow' })
  expect(parseLvmDmName('sd--vg--k-data')).toEqual({ vg: 'sd-vg-k', lv: 'data', layer: null })
  expect(parseLvmDmName('luks-root')).toEqual({ vg: 'luks', lv: 'root', layer: null })
  expect(parseLvmDmName('nodash')).toBeUndefined()
  expect(parseLvmDmName('vg--')).toBeUndefined()
})

test('LVM dm UUIDs give the LV UUID as lvs prints it, with or without a layer suffix', () => {
  const lvsForm = 'Qr78St-90Uv-12Wx-34Yz-56Ab-78Cd-90Ef12'
  expect(lvUuidOfDmUuid(`LVM-${VG_UUID}${LV_UUID}`)).toBe(lvsForm)
  expect(lvUuidOfDmUuid(`LVM-${VG_UUID}${LV_UUID}-cow`)).toBe(lvsForm)
  expect(lvUuidOfDmUuid('CRYPT-LUKS2-abc-root')).toBeUndefined()
  expect(lvUuidOfDmUuid('LVM-short')).toBeUndefined()
  // 64 id characters and then more, or an empty layer: not a UUID LVM makes.
  expect(lvUuidOfDmUuid(`LVM-${VG_UUID}${LV_UUID}x`)).toBeUndefined()
  expect(lvUuidOfDmUuid(`LVM-${VG_UUID}${LV_UUID}-`)).toBeUndefined()
  expect(lvUuidOfDmUuid(`LVM-${VG_UUID}${LV_UUID}-real`)).toBe(lvsForm)
})

function fakeSysfs(devices: Record<string, { name: string; uuid: string }>): string {
  const root = scratchDir('sysfs')
  for (const [majMin, dm] of Object.entries(devices)) {
    const dir = path.join(root, 'dev', 'block', majMin, 'dm')
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, 'name'), `${dm.name}\n`)
    writeFileSync(path.join(dir, 'uuid'), `${dm.uuid}\n`)
  }
  return root
}

test("a snapshot's COW names the snapshot's LV; other dm devices their dm name; files nothing", async () => {
  const root = fakeSysfs({
    '253:4': { name: 'vg0-home--snap1-cow', uuid: `LVM-${VG_UUID}${LV_UUID}-cow` },
    '253:9': { name: 'luks-root', uuid: 'CRYPT-LUKS2-0123-root' },
    '253:12': { name: 'vg0-home--snap2', uuid: `LVM-${VG_UUID}${'Z'.repeat(32)}` },
    '253:13': { name: 'plain', uuid: '' },
  })
  // st_rdev of 253:4 and 253:9 (major << 8 | minor for small numbers).
  expect(await snapshotIdentityOfDevice(`block:${(253 << 8) | 4}`, root)).toEqual({ name: 'home-snap1', uuid: 'Qr78St-90Uv-12Wx-34Yz-56Ab-78Cd-90Ef12' })
  expect(await snapshotIdentityOfDevice(`block:${(253 << 8) | 9}`, root)).toEqual({ name: 'luks-root', uuid: 'CRYPT-LUKS2-0123-root' })
  expect(await snapshotIdentityOfDevice(`block:${(253 << 8) | 12}`, root)).toEqual({ name: 'home-snap2', uuid: 'ZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZ' })
  expect(await snapshotIdentityOfDevice(`block:${(253 << 8) | 13}`, root)).toEqual({ name: 'plain', uuid: null })
  expect(await snapshotIdentityOfDevice(`block:${(7 << 8) | 0}`, root)).toBeUndefined()
  expect(await snapshotIdentityOfDevice('file:2049:1234', root)).toBeUndefined()
  expect(await snapshotIdentityOfDevice(undefined, root)).toBeUndefined()
})
