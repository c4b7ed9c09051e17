import { dmName, parseVolumeRef } from '../../../src/lvm/volume-ref'
import { UsageError } from '../../../src/errors'

describe('parseVolumeRef', () => {
  it('reads VG/LV and /dev/VG/LV', () => {
    expect(parseVolumeRef('vg0/home')).toEqual({ vg: 'vg0', lv: 'home' })
    expect(parseVolumeRef('/dev/vg-x/my-lv')).toEqual({ vg: 'vg-x', lv: 'my-lv' })
  })

  it.each(['home', 'vg0/', '/home', 'a/b/c', 'vg 0/home', 'vg0/-lv'])('refuses %p with a usage error naming it', (text) => {
    expect(() => parseVolumeRef(text)).toThrow(UsageError)
    expect(() => parseVolumeRef(text)).toThrow(`got \`${text}\``)
  })
})

describe('dmName', () => {
  it('doubles dashes inside names, as device-mapper names LVM volumes', () => {
    // Names seen under a real kernel (test/kernel): vg-x/my-lv-snap1 -> vg--x-my--lv--snap1
    expect(dmName({ vg: 'vg-x', lv: 'my-lv-snap1' })).toBe('vg--x-my--lv--snap1')
    expect(dmName({ vg: 'vg0', lv: 'home' })).toBe('vg0-home')
  })
})
