// -o lists (snapdelta mount -o, and what mount(8) hands the fstab helper).
import { mountHelperArgs, parseMountOptions } from '../../../../src/cli/mount/mount-options'
import { UsageError } from '../../../../src/errors'

test('snapdelta options in key=value form; mount(8) and systemd options ignored', () => {
  expect(parseMountOptions('ro,cow=/c1,snapshot=/s2,name=g,base-name=s1,allow_other,noauto,x-systemd.automount,_netdev,defaults')).toEqual({
    groupOptions: [['cow', '/c1'], ['snapshot', '/s2'], ['name', 'g'], ['base-name', 's1']],
    allowOther: true,
    mkdir: false,
  })
  expect(parseMountOptions('lv=vg0/home')).toMatchObject({ lv: 'vg0/home' })
  expect(parseMountOptions('history=/srv/h,mkdir')).toMatchObject({ history: '/srv/h', mkdir: true })
})

test('an unknown option or a key without its value is refused, naming it; -s (sloppy) ignores unknown ones', () => {
  expect(() => parseMountOptions('ro,writeback')).toThrow(UsageError)
  expect(() => parseMountOptions('ro,writeback')).toThrow(/-o writeback: not an option of snapdelta mount/)
  expect(() => parseMountOptions('cow')).toThrow(/-o cow: expected cow=VALUE/)
  expect(() => parseMountOptions('allow_other=1')).toThrow(UsageError)
  expect(parseMountOptions('writeback', true)).toMatchObject({ groupOptions: [] })
})

test("mount(8)'s call of the helper becomes snapdelta mount; SOURCE is the volume with -o lv, the directory with -o history", () => {
  expect(mountHelperArgs(['vg0/home', '/mnt/gens', '-o', 'rw,lv,noauto'])).toEqual(['mount', '-o', 'rw,lv=vg0/home,noauto', '/mnt/gens'])
  expect(mountHelperArgs(['/srv/h', 'rel/mnt', '-n', '-o', 'history', '-t', 'fuse.snapdelta'])).toEqual(['mount', '-o', 'history=/srv/h', expect.stringMatching(/^\/.*\/rel\/mnt$/)])
  expect(mountHelperArgs(['label', '/m', '-s', '-o', 'cow=/c,snapshot=/s,odd'])).toEqual(['mount', '-o', 'cow=/c,snapshot=/s,odd', '--sloppy', '/m'])
  // -f: mount(8) only pretends, but the options are still checked.
  expect(mountHelperArgs(['vg0/home', '/m', '-f', '-o', 'lv'])).toBeNull()
  expect(() => mountHelperArgs(['vg0/home', '/m', '-f', '-o', 'lv,bogus'])).toThrow(/-o bogus/)
  expect(() => mountHelperArgs(['/m'])).toThrow(/expected SOURCE MOUNTPOINT, got 1/)
  expect(() => mountHelperArgs(['a', '/m', '--foreground'])).toThrow(/unknown option --foreground/)
})
