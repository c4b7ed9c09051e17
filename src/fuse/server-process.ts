// Whether a mount server still runs, read from /proc (a zombie has exited:
// only its parent has not reaped it yet).
import { promises as fsp } from 'fs'
import { setTimeout as sleep } from 'timers/promises'

/** True while process `pid` runs and is not a zombie. */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8')
    // "PID (COMM) STATE ...": COMM may hold spaces and parentheses, so look after the last ")".
    return stat[stat.lastIndexOf(')') + 2] !== 'Z'
  } catch {
    return false
  }
}

/** Waits until process `pid` has exited (or is a zombie); false on timeout. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (await isRunning(pid)) {
    if (Date.now() >= deadline) return false
    await sleep(50)
  }
  return true
}
