// The exit statuses say the same thing in every command (issue 8's closing
// request): a TARGET of the wrong size is bad input (3) for verify as for
// apply and receive, and a volume that does not exist is bad input (3), not
// a failed external command (7).
import { truncateSync } from 'fs'
import path from 'path'
import { Attack } from './attack'
import { scratchGeneration, snapdelta } from './attack-helpers'
import { scratchDir } from '../helpers/tmp'
import { writeGenerationFolder } from '../integration/copy-helpers'

const FAKE_BIN = path.join(__dirname, '..', 'fakes', 'bin')

export const attacks: Attack[] = [
  {
    item: 12,
    title: 'verify, apply and receive all refuse a TARGET of the wrong size with exit 3',
    run: async () => {
      const g = scratchGeneration('wrong-size')
      truncateSync(g.target, 4096 * 7)
      const folder = scratchDir('wrong-size-gen')
      await writeGenerationFolder(folder, g.fixture.cow1, g.snapshot)
      for (const args of [
        ['verify', '--snapshot', g.snapshot, folder, g.target],
        ['apply', folder, g.target],
      ]) {
        const result = await snapdelta(args)
        expect(result.exitCode).toBe(3)
        expect(result.stderr).toMatch(/the target .* is 28672 bytes .* but the snapshot is \d+ bytes/)
      }
    },
  },
  {
    item: 12,
    title: 'a volume group or logical volume that does not exist is bad input (exit 3) for backup, list and mount --lv',
    run: async () => {
      const root = scratchDir('no-such-vg')
      const env = { ...process.env, PATH: `${FAKE_BIN}:${process.env.PATH}`, SNAPDELTA_FAKE_LVM: root }
      const target = path.join(root, 'backup.img')
      for (const args of [
        ['backup', 'nosuchvg/home', '--to', target, '--state-dir', path.join(root, 'state')],
        ['list', '--lv', 'nosuchvg/home'],
        ['mount', path.join(root, 'mnt'), '--mkdir', '--lv', 'nosuchvg/home'],
      ]) {
        const result = await snapdelta(args, 20_000, env)
        expect({ args, exitCode: result.exitCode, stderr: result.stderr }).toMatchObject({ exitCode: 3, stderr: expect.stringMatching(/volume group nosuchvg not found/) })
      }
    },
  },
]
