// One writer per TARGET: apply, receive and backup (local) take this lock
// before their first read of TARGET for the content check and hold it until
// TARGET is flushed, so two runs never interleave their writes (both would
// exit 0 and leave a mix). The lock is named after what TARGET is (its
// device number, or its file's device and inode), not how it was spelled, and
// lives in the private runtime directory (gone after a reboot, like the runs it guards).
import { createHash } from 'crypto'
import path from 'path'
import { acquireLock, HeldLock } from '../io/lock-file'
import { ensureRuntimeDir } from '../io/runtime-dir'

/** Takes the write lock of the TARGET at `targetPath` whose identity (device-identity.ts) is `identity`; LockedError (exit 6) when another run holds it. */
export async function lockTarget(targetPath: string, identity: string): Promise<HeldLock> {
  const dir = await ensureRuntimeDir()
  const key = createHash('sha256').update(identity).digest('hex').slice(0, 16)
  return acquireLock(path.join(dir, `target-${key}.lock`), `write to ${targetPath}`)
}
