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
import { readServerRecord } from '../../src/fuse/server-registry'
import { runtimeDir } from '../../src/io/runtime-dir'

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
        // A record left by a killed server whose mount id, device and pid were all reused since
        // (here: by this mount, and by this live test process) must not be taken for this server's.
        const own = await readServerRecord(mountpoint)
        // Several, so that a scan in directory order meets one of them before the real record.
        const stale = Array.from({ length: 8 }, (_, i) => path.join(runtimeDir(), `stale-${process.pid}-${i}.json`))
        // Half with another start time, half as older versions wrote them: a pid and nothing to tell whose.
        const withTime = JSON.stringify({ pid: process.pid, bootId: own!.bootId, startTime: 1, mountpoint: '/gone', startedAt: '', mountId: own!.mountId, device: own!.device })
        const pidOnly = JSON.stringify({ pid: process.pid, mountpoint: '/gone', startedAt: '', mountId: own!.mountId, device: own!.device })
        for (const [i, file] of stale.entries()) await fsp.writeFile(file, i % 2 === 0 ? withTime : pidOnly, { mode: 0o600 })
        const umount = await runCli(['umount', moved]).finally(() => Promise.all(stale.map((file) => fsp.rm(file, { force: true }))))
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
