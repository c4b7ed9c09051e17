// snapdelta umount: unmounts a snapdelta mount and waits until its server has exited.
import { Command } from 'commander'
import { promises as fsp } from 'fs'
import path from 'path'
import { setTimeout as sleep } from 'timers/promises'
import { ExternalCommandError, UsageError } from '../../errors'
import { findMount, isSnapdeltaMount } from '../../fuse/mount-table'
import { readServerRecord, removeServerRecord } from '../../fuse/server-registry'
import { fusermountUnmount } from '../../fuse/unmount'

interface UmountOptions {
  timeout: string
}

/** Registers `snapdelta umount`. */
export function registerUmount(program: Command): void {
  program
    .command('umount')
    .summary('unmount a snapdelta mount and wait for its server')
    .description('Unmount a snapdelta mount (fusermount -u) and wait until its server has exited.')
    .argument('<mountpoint>', 'where `snapdelta mount` mounted it')
    .option('--timeout <seconds>', 'how long to wait for the server to exit', '10')
    .action(async (mountpoint: string, opts: UmountOptions) => {
      const timeoutSeconds = Number(opts.timeout)
      if (!(timeoutSeconds >= 0)) throw new UsageError(`--timeout: expected a number of seconds, got "${opts.timeout}"`)
      // realpath asks the mount itself; a dead mount fails it, so fall back to the spelling given.
      const real = await fsp.realpath(mountpoint).catch(() => path.resolve(mountpoint))
      const entry = await findMount(real)
      if (!entry) throw new UsageError(`${real} is not mounted`)
      if (!isSnapdeltaMount(entry)) throw new UsageError(`${real} is a ${entry.fsType} mount, not a snapdelta mount: not unmounting it`)
      const record = await readServerRecord(real)
      try {
        await fusermountUnmount(real)
      } catch (err) {
        throw new ExternalCommandError(
          `${(err as Error).message} (files still open on the mount? see: fuser -vm ${real})`,
          { cause: err },
        )
      }
      if (record && !(await waitForExit(record.pid, timeoutSeconds * 1000))) {
        throw new ExternalCommandError(`${real} is unmounted, but its server (pid ${record.pid}) is still running after ${timeoutSeconds} s`)
      }
      // A server that was killed left its record behind.
      await removeServerRecord(real)
    })
}

/** Waits until process `pid` has exited (or is a zombie); false on timeout. */
async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (await isRunning(pid)) {
    if (Date.now() >= deadline) return false
    await sleep(50)
  }
  return true
}

async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8')
    // "PID (COMM) STATE ...": a zombie has exited, only its parent has not reaped it yet.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}
