import { mayAllowOther, parseUserAllowOther } from '../../../src/fuse/fuse-conf'

test('user_allow_other counts only on a line of its own, not commented out', () => {
  expect(parseUserAllowOther('# comment\n#user_allow_other\nmount_max = 1000\n')).toBe(false)
  expect(parseUserAllowOther('# comment\nuser_allow_other\n')).toBe(true)
  expect(parseUserAllowOther('  user_allow_other   # for snapdelta\n')).toBe(true)
  expect(parseUserAllowOther('')).toBe(false)
})

test('root may always pass allow_other', async () => {
  expect(await mayAllowOther(0)).toBe(true)
})
