// One backup at a time per volume: a lock file created with O_EXCL holding
// the owner's pid. A lock left by a process that no longer exists (killed,
// crashed) is stale and taken over.
import { constants, promises as fsp } from 'fs'
import { LockedError, ioError } from '../errors'

export interface HeldLock {
  release(): Promise<void>
}

/** Takes the lock at `lockPath` or throws LockedError naming the running owner. */
export async function acquireLock(lockPath: string, what: string): Promise<HeldLock> {
  // Two attempts: the second after removing a stale lock.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await fsp.open(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
      try {
        await file.writeFile(`${process.pid}\n`)
        await file.sync()
      } finally {
        await file.close()
      }
      return { release: () => fsp.rm(lockPath, { force: true }) }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('creating the lock file', lockPath, err)
    }
    const owner = await readOwner(lockPath)
    if (owner !== null && isAlive(owner)) {
      throw new LockedError(`another snapdelta backup of ${what} is running (pid ${owner}, lock ${lockPath}); try again when it has finished`)
    }
    // The owner died without releasing (kill -9, power loss): the state file says how far it got.
    await fsp.rm(lockPath, { force: true })
  }
  throw new LockedError(`cannot take the lock ${lockPath} for ${what}: another run keeps recreating it`)
}

async function readOwner(lockPath: string): Promise<number | null> {
  try {
    const pid = Number((await fsp.readFile(lockPath, 'utf8')).trim())
    return Number.isInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
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
