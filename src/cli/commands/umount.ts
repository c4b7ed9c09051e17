// snapdelta umount: unmounts a snapdelta mount and waits until its server has exited.
import { Command } from 'commander'
import { promises as fsp } from 'fs'
import path from 'path'
import { ExternalCommandError, UsageError } from '../../errors'
import { findMount, isSnapdeltaMount, MountEntry } from '../../fuse/mount-table'
import { isRunning, waitForExit } from '../../fuse/server-process'
import { isStillRunning } from '../../io/process-identity'
import { listServerRecords, readServerRecord, removeServerRecord, ServerRecord } from '../../fuse/server-registry'
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
    .option('--timeout <seconds>', 'how long to wait for the server to exit (it closes every snapshot and COW first; a loaded machine can take a while)', '30')
    .action(async (mountpoint: string, opts: UmountOptions) => {
      const timeoutSeconds = Number(opts.timeout)
      if (!(timeoutSeconds >= 0)) throw new UsageError(`--timeout: expected a number of seconds, got "${opts.timeout}"`)
      // realpath asks the mount itself; a dead mount fails it, so fall back to the spelling given.
      const real = await fsp.realpath(mountpoint).catch(() => path.resolve(mountpoint))
      const entry = await findMount(real)
      if (!entry) throw new UsageError(`${real} is not mounted`)
      if (!isSnapdeltaMount(entry)) throw new UsageError(`${real} is a ${entry.fsType} mount, not a snapdelta mount: not unmounting it`)
      const record = await findRecord(real, entry)
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
      await removeServerRecord(record?.mountpoint ?? real)
    })
}

// The record is kept under the path the mount was made at; a mount moved since
// (a directory above it renamed) is found by its mount id, if its server lives.
// A record counts only while the process that wrote it runs: the mount ids,
// devices and pids of killed servers are all reused.
async function findRecord(real: string, entry: MountEntry): Promise<ServerRecord | undefined> {
  const atPath = await readServerRecord(real)
  if (atPath && (await writerRuns(atPath))) return atPath
  for (const record of await listServerRecords()) {
    if (record.mountId !== entry.mountId || record.device !== entry.device) continue
    // A record without the writer's start time (an older version's) names a pid that may belong to anyone by now.
    if (record.startTime !== undefined && (await writerRuns(record))) return record
  }
  return undefined
}

async function writerRuns(record: ServerRecord): Promise<boolean> {
  return (await isRunning(record.pid)) && (await isStillRunning({ pid: record.pid, bootId: record.bootId, startTime: record.startTime }))
}
