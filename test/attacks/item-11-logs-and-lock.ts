// Item 11: what a mount server and a backup leave behind. Server logs were
// never removed, and a failed mount's error stayed at the top of the next
// mount's log; a backup lock held only a pid, which after a reboot may name an
// unrelated process and lock backups out for good.
import { spawn } from 'child_process'
import { existsSync, promises as fsp, mkdirSync, writeFileSync } from 'fs'
import path from 'path'
import { Attack } from './attack'
import { readBootId, readStartTime } from '../../src/io/process-identity'
import { readServerRecord, serverFilesBase } from '../../src/fuse/server-registry'
import { runCli } from '../helpers/cli'
import { realKernelFixture } from '../helpers/fixtures'
import { forceUnmount, isRunning, mountWithCli, strictUnmount, waitFor } from '../helpers/mount'
import { scratchDir } from '../helpers/tmp'
import { FakeVolume } from '../integration/backup-fixture'

function generation(): string[] {
  const f = realKernelFixture('a-random-4k')
  return ['--cow', f.cow1, '--snapshot', f.snap2]
}

// A lock in the state dir of `vol` naming `owner`, as a run of this version writes it.
async function writeLock(vol: FakeVolume, owner: { pid: number; bootId: string; startTime: number }): Promise<void> {
  mkdirSync(vol.stateDir, { recursive: true, mode: 0o700 })
  await fsp.writeFile(path.join(vol.stateDir, 'vg--test-my--data.lock'), JSON.stringify(owner) + '\n')
}

export const attacks: Attack[] = [
  {
    item: 11,
    title: "each mount's log starts empty, is named in the summary, and goes when the server exits cleanly",
    run: async () => {
      const mountpoint = path.join(scratchDir('logs'), 'mnt')
      mkdirSync(mountpoint)
      const expectedLog = `${serverFilesBase(mountpoint)}.log`
      writeFileSync(path.join(mountpoint, 'in-the-way'), '')
      try {
        const failed = await runCli(['mount', mountpoint, ...generation()])
        expect(failed.exitCode).toBe(2)
        // A failed mount's log stays, for the reason.
        expect(await fsp.readFile(expectedLog, 'utf8')).toContain('is not empty')
        await fsp.rm(path.join(mountpoint, 'in-the-way'))
        const mounted = await mountWithCli(mountpoint, generation())
        try {
          expect(mounted.summary).toMatchObject({ logPath: expectedLog })
          expect(await fsp.readFile(expectedLog, 'utf8')).not.toContain('is not empty')
          await strictUnmount(mounted)
          expect(existsSync(expectedLog)).toBe(false)
        } finally {
          await forceUnmount(mounted)
        }
      } finally {
        await fsp.rm(expectedLog, { force: true })
      }
    },
  },
  {
    item: 11,
    title: 'the text summary says where the log is',
    run: async () => {
      const mountpoint = path.join(scratchDir('logs'), 'mnt')
      mkdirSync(mountpoint)
      const result = await runCli(['mount', mountpoint, ...generation()])
      const pid = Number(/server pid (\d+)/.exec(result.stdout)?.[1])
      try {
        expect(result.exitCode).toBe(0)
        expect(result.stdout).toContain(`server log: ${serverFilesBase(mountpoint)}.log (removed when the server exits cleanly)`)
        expect(await runCli(['umount', mountpoint])).toMatchObject({ exitCode: 0 })
      } finally {
        await forceUnmount({ mountpoint, pid })
      }
    },
  },
  {
    item: 11,
    title: "a crashed server's log stays, and its record says where it is",
    run: async () => {
      const mountpoint = path.join(scratchDir('logs'), 'mnt')
      mkdirSync(mountpoint)
      const mounted = await mountWithCli(mountpoint, generation())
      const logPath = `${serverFilesBase(mountpoint)}.log`
      try {
        process.kill(mounted.pid, 'SIGKILL')
        expect(await waitFor(async () => !(await isRunning(mounted.pid)))).toBe(true)
        expect(await readServerRecord(mountpoint)).toMatchObject({ pid: mounted.pid, logPath })
        expect(existsSync(logPath)).toBe(true)
        expect(await runCli(['umount', mountpoint])).toMatchObject({ exitCode: 0 })
      } finally {
        await forceUnmount(mounted)
        await fsp.rm(logPath, { force: true })
      }
    },
  },
  {
    item: 11,
    title: 'a backup lock naming a live but unrelated process (reused pid, or from before a reboot) is taken over; a live holder is not',
    run: async () => {
      const vol = await new FakeVolume('lock').create(1 << 20)
      const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' })
      try {
        const pid = sleeper.pid!
        const holder = { pid, bootId: await readBootId(), startTime: (await readStartTime(pid))! }
        await writeLock(vol, holder)
        const refused = await vol.backup()
        expect(refused.exitCode).toBe(6)
        expect(refused.stderr).toContain(`another snapdelta backup of vg-test/my-data is running (pid ${pid}`)
        expect(vol.calls().filter((c) => c[0] === 'lvcreate')).toHaveLength(0)
        await writeLock(vol, { ...holder, startTime: holder.startTime + 1 })
        expect(await vol.backup()).toMatchObject({ exitCode: 0 })
        await writeLock(vol, { ...holder, bootId: '00000000-0000-0000-0000-000000000000' })
        expect(await vol.backup()).toMatchObject({ exitCode: 0 })
      } finally {
        sleeper.kill('SIGKILL')
      }
    },
  },
]
