// Item 9: renaming a directory above the mountpoint moves the mount, but the
// server watched the old path, believed itself unmounted and exited, leaving
// "Transport endpoint is not connected" at the new path.
import { promises as fsp } from 'fs'
import path from 'path'
import { setTimeout as sleep } from 'timers/promises'
import { Attack } from './attack'
import { runCli, runCommand } from '../helpers/cli'
import { realKernelFixture } from '../helpers/fixtures'
import { forceUnmount, isMounted, isRunning, mountWithCli, waitFor } from '../helpers/mount'
import { scratchDir } from '../helpers/tmp'

export const attacks: Attack[] = [
  {
    item: 9,
    title: 'the mount keeps serving after its parent directory is renamed, and `umount NEWPATH` stops it',
    run: async () => {
      const f = realKernelFixture('a-random-4k')
      const base = scratchDir('rename-parent')
      const mountpoint = path.join(base, 'parent', 'mnt')
      const moved = path.join(base, 'parent2', 'mnt')
      await fsp.mkdir(mountpoint, { recursive: true })
      const mounted = await mountWithCli(mountpoint, ['--cow', f.cow1, '--snapshot', f.snap2, '--name', 'gen'])
      try {
        await fsp.rename(path.join(base, 'parent'), path.join(base, 'parent2'))
        // Several of the server's mount-table polls (300 ms each) see the mount only at its new path.
        await sleep(1000)
        expect(await isRunning(mounted.pid)).toBe(true)
        const read = await runCommand('cmp', [path.join(moved, 'gen', 'full.img'), f.snap2])
        expect(read).toMatchObject({ exitCode: 0, stderr: '' })
        const umount = await runCli(['umount', moved])
        expect(umount).toMatchObject({ exitCode: 0, stderr: '' })
        expect(await isMounted(moved)).toBe(false)
        // umount found the server's record by mount id, so it returned only once the server had exited.
        expect(await isRunning(mounted.pid)).toBe(false)
      } finally {
        await forceUnmount({ mountpoint: moved, pid: mounted.pid })
        await forceUnmount({ mountpoint })
      }
    },
  },
  {
    item: 9,
    title: 'SIGTERM after the parent directory was renamed unmounts the new path',
    run: async () => {
      const f = realKernelFixture('a-random-4k')
      const base = scratchDir('rename-parent')
      const mountpoint = path.join(base, 'parent', 'mnt')
      const moved = path.join(base, 'parent2', 'mnt')
      await fsp.mkdir(mountpoint, { recursive: true })
      const mounted = await mountWithCli(mountpoint, ['--cow', f.cow1, '--snapshot', f.snap2])
      try {
        await fsp.rename(path.join(base, 'parent'), path.join(base, 'parent2'))
        process.kill(mounted.pid, 'SIGTERM')
        expect(await waitFor(async () => !(await isRunning(mounted.pid)), 10_000)).toBe(true)
        expect(await isMounted(moved)).toBe(false)
      } finally {
        await forceUnmount({ mountpoint: moved, pid: mounted.pid })
        await forceUnmount({ mountpoint })
      }
    },
  },
]
