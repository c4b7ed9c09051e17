// The backup state directory (--state-dir) holds the state and lock files by
// guessable names: it must be private, like the mount servers' runtime dir.
import { ioError, SnapdeltaError } from '../errors'
import { ensurePrivateDir } from '../io/private-dir'

/** Creates `stateDir` (mode 0700, with parents), or refuses one another user could tamper with. */
export async function ensureStateDir(stateDir: string): Promise<void> {
  try {
    await ensurePrivateDir(stateDir, { what: 'backup state directory', remedy: 'if you trust its files, make it yours and private (chown, chmod 700), or pass --state-dir another directory' })
  } catch (err) {
    if (err instanceof SnapdeltaError) throw err
    throw ioError('creating the state directory', stateDir, err)
  }
}
