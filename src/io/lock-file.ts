// One run at a time per volume (backup) and per TARGET (apply, receive,
// backup): a lock file naming its owner by pid, boot id and the pid's start
// time (process-identity.ts), so a lock left
// before a reboot or by a process whose pid was since reused is stale and taken
// over, like one whose owner died. Node has no flock(2), so both steps are
// built from atomic file operations: link(2) creates the lock with its content
// already in it, and rename(2) lets exactly one of several racing processes
// remove a stale lock.
import { randomBytes } from 'crypto'
import { promises as fsp } from 'fs'
import { LockedError, ioError } from '../errors'
import { createNewFile } from './private-file'
import { currentProcessIdentity, isStillRunning, ProcessIdentity } from './process-identity'

export interface HeldLock {
  release(): Promise<void>
}

/** Takes the lock at `lockPath` or throws LockedError naming the running owner; `activity` names what it guards: "backup of vg0/home". */
export async function acquireLock(lockPath: string, activity: string): Promise<HeldLock> {
  const me = formatLockOwner(await currentProcessIdentity())
  // A few attempts: each lost race with another starting run is one attempt.
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await tryCreate(lockPath, me)) return { release: () => fsp.rm(lockPath, { force: true }) }
    const text = await readLockText(lockPath)
    if (text === undefined) continue
    const owner = parseLockOwner(text)
    if (owner !== null && (await isStillRunning(owner))) {
      throw new LockedError(`another snapdelta ${activity} is running (pid ${owner.pid}, lock ${lockPath}); try again when it has finished`)
    }
    // The owner died without releasing (kill -9, power loss): the state file says how far it got.
    await removeStaleLock(lockPath, text)
  }
  throw new LockedError(`cannot take the lock ${lockPath} for the ${activity}: another run keeps taking it`)
}

/** The lock's content for `owner`: one line of JSON. */
export function formatLockOwner(owner: ProcessIdentity): string {
  return JSON.stringify(owner) + '\n'
}

/** The owner a lock names; a bare pid (older versions); null when it names none. */
export function parseLockOwner(text: string): ProcessIdentity | null {
  const trimmed = text.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) > 0 ? { pid: Number(trimmed) } : null
  try {
    const { pid, bootId, startTime } = JSON.parse(trimmed) as ProcessIdentity
    if (!Number.isInteger(pid) || pid <= 0) return null
    return { pid, bootId: typeof bootId === 'string' ? bootId : undefined, startTime: Number.isInteger(startTime) ? startTime : undefined }
  } catch {
    return null
  }
}

// Creates the lock holding `content`, or returns false if a lock exists. Written
// to a private file first and linked into place, so no reader ever sees an
// empty lock (which would look stale).
async function tryCreate(lockPath: string, content: string): Promise<boolean> {
  const mine = `${lockPath}.${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    const file = await createNewFile(mine)
    try {
      await file.writeFile(content)
    } finally {
      await file.close()
    }
    await fsp.link(mine, lockPath)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw ioError('creating the lock file', lockPath, err)
  } finally {
    await fsp.rm(mine, { force: true })
  }
}

/**
 * Removes the lock at `lockPath` if it still holds `staleText`, what the stale
 * owner left. Moving it aside is atomic; should it turn out to be a newer, live
 * lock (another run took over first), it is put back.
 */
export async function removeStaleLock(lockPath: string, staleText: string): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    await fsp.rename(lockPath, aside)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw ioError('removing the stale lock file', lockPath, err)
  }
  if ((await readLockText(aside)) !== staleText) await fsp.link(aside, lockPath).catch(() => {})
  await fsp.rm(aside, { force: true })
}

// The lock's content; undefined when the lock is gone.
async function readLockText(lockPath: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(lockPath, 'utf8')
  } catch {
    return undefined
  }
}
