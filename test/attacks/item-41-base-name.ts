// Issue 9, --base-name: the older snapshot's name, given by hand for image
// files. Two names it used to take that give a generation nobody can use:
// one longer than the stream's 255-byte slot (mount succeeded, then every
// read of delta.stream failed with EIO), and the generation's own name (a
// delta from a snapshot to itself, which info.json and the stream then
// carried to a history as if it were real). Both are refused before
// anything is mounted, sent or printed.
import { Attack } from './attack'
import { realKernelFixture } from '../helpers/fixtures'
import { runCli } from '../helpers/cli'
import { forceUnmount, isMounted } from '../helpers/mount'
import { scratchDir } from '../helpers/tmp'

const f = () => realKernelFixture('a-random-4k')

/** mount with `args` after the mountpoint; reports whether it mounted, and always unmounts. */
async function mountWith(args: string[]): Promise<{ exitCode: number; stderr: string; mounted: boolean }> {
  const mountpoint = scratchDir('base-name')
  const result = await runCli(['mount', mountpoint, ...args, '--json'])
  const mounted = await isMounted(mountpoint)
  await forceUnmount({ mountpoint, pid: result.exitCode === 0 ? JSON.parse(result.stdout).pid : undefined })
  return { exitCode: result.exitCode, stderr: result.stderr, mounted }
}

export const attacks: Attack[] = [
  {
    item: 41,
    title: 'a --base-name of 256 bytes (more than a stream header holds) is refused before mounting, by map and by send',
    run: async () => {
      const long = 'b'.repeat(256)
      const mount = await mountWith(['--cow', f().cow1, '--snapshot', f().snap2, '--base-name', long])
      expect(mount).toMatchObject({ exitCode: 2, mounted: false })
      expect(mount.stderr).toContain('expected a snapshot name of 1 to 255 bytes')
      for (const command of ['map', 'send']) {
        const result = await runCli([command, '--cow', f().cow1, '--snapshot', f().snap2, '--base-name', long])
        expect(result.exitCode).toBe(2)
        expect(result.stdout).toBe('')
      }
    },
  },
  {
    item: 41,
    title: "a --base-name equal to the generation's name (a delta from a snapshot to itself) is refused",
    run: async () => {
      const named = await mountWith(['--cow', f().cow1, '--snapshot', f().snap2, '--name', 'snap1', '--base-name', 'snap1'])
      expect(named).toMatchObject({ exitCode: 2, mounted: false })
      expect(named.stderr).toContain("--base-name snap1 is also the generation's name")
      // The default name is the snapshot's file name: snap2.
      const map = await runCli(['map', '--json', '--cow', f().cow1, '--snapshot', f().snap2, '--base-name', 'snap2'])
      expect(map.exitCode).toBe(2)
      expect(map.stdout).toBe('')
    },
  },
]
