// One backup at a time per volume: a lock file holding the owner's pid. A lock
// left by a process that no longer exists (killed, crashed) is stale and taken
// over. Node has no flock(2), so both steps are built from atomic file
// operations: link(2) creates the lock with its content already in it, and
// rename(2) lets exactly one of several racing processes remove a stale lock.
import { randomBytes } from 'crypto'
import { promises as fsp } from 'fs'
import { LockedError, ioError } from '../errors'
import { createNewFile } from '../io/private-file'

export interface HeldLock {
  release(): Promise<void>
}

/** Takes the lock at `lockPath` or throws LockedError naming the running owner. */
export async function acquireLock(lockPath: string, what: string): Promise<HeldLock> {
  // A few attempts: each lost race with another starting run is one attempt.
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await tryCreate(lockPath)) return { release: () => fsp.rm(lockPath, { force: true }) }
    const owner = await readOwner(lockPath)
    if (owner === undefined) continue
    if (owner !== null && isAlive(owner)) {
      throw new LockedError(`another snapdelta backup of ${what} is running (pid ${owner}, lock ${lockPath}); try again when it has finished`)
    }
    // The owner died without releasing (kill -9, power loss): the state file says how far it got.
    await removeStaleLock(lockPath, owner)
  }
  throw new LockedError(`cannot take the lock ${lockPath} for ${what}: another run keeps taking it`)
}

// Creates the lock holding our pid, or returns false if a lock exists. Written
// to a private file first and linked into place, so no reader ever sees an
// empty lock (which would look stale).
async function tryCreate(lockPath: string): Promise<boolean> {
  const mine = `${lockPath}.${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    const file = await createNewFile(mine)
    try {
      await file.writeFile(`${process.pid}\n`)
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
 * Removes the lock at `lockPath` if it still is the one `stalePid` left.
 * Moving it aside is atomic; should it turn out to be a newer, live lock
 * (another run took over first), it is put back.
 */
export async function removeStaleLock(lockPath: string, stalePid: number | null): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    await fsp.rename(lockPath, aside)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw ioError('removing the stale lock file', lockPath, err)
  }
  const moved = await readOwner(aside)
  if (moved !== stalePid) await fsp.link(aside, lockPath).catch(() => {})
  await fsp.rm(aside, { force: true })
}

// The pid in the lock; null when it holds none; undefined when the lock is gone.
async function readOwner(lockPath: string): Promise<number | null | undefined> {
  let text: string
  try {
    text = await fsp.readFile(lockPath, 'utf8')
  } catch {
    return undefined
  }
  const pid = Number(text.trim())
  return Number.isInteger(pid) && pid > 0 ? pid : null
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
