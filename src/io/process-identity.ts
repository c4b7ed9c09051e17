// A process told apart from a later one that got the same pid: the boot id
// changes on every boot, and a pid's start time (field 22 of /proc/PID/stat,
// clock ticks since boot) changes when the pid is reused. A pid alone, read
// after a reboot, may name any unrelated process.
import { promises as fsp } from 'fs'

export interface ProcessIdentity {
  pid: number
  /** Missing in locks of older versions, which held only a pid. */
  bootId?: string
  startTime?: number
}

/** This boot's id (/proc/sys/kernel/random/boot_id). */
export async function readBootId(): Promise<string> {
  return (await fsp.readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim()
}

/** When process `pid` started, in clock ticks since boot; undefined when there is no such process. */
export async function readStartTime(pid: number): Promise<number | undefined> {
  let stat: string
  try {
    stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // "PID (COMM) STATE PPID ...": COMM may hold spaces, so count fields from after its last ")"; STATE is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[22 - 3])
}

/** This process, as a lock records it. */
export async function currentProcessIdentity(): Promise<ProcessIdentity> {
  return { pid: process.pid, bootId: await readBootId(), startTime: await readStartTime(process.pid) }
}

/** True while the process `identity` names runs: same boot, same start time (when recorded), pid alive. */
export async function isStillRunning(identity: ProcessIdentity): Promise<boolean> {
  if (identity.bootId !== undefined && identity.bootId !== (await readBootId())) return false
  if (identity.startTime !== undefined) return (await readStartTime(identity.pid)) === identity.startTime
  return pidExists(identity.pid)
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
