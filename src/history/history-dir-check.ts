// The history directory and its subdirectories: created by us with mode 0700,
// or refused unless they are real directories of this user that nobody else
// can write (src/io/private-dir.ts). Others able to write there could plant
// symlinks under the fixed names (history.json, undo/000001.undo) or swap
// undo records and make a restore return their bytes.
import { promises as fsp } from 'fs'
import path from 'path'
import { InvalidInputError } from '../errors'
import { checkPrivateDir, ensurePrivateDir, PrivateDirPurpose } from '../io/private-dir'

export const UNDO_SUBDIR = 'undo'
export const READERS_SUBDIR = 'readers'

const purpose = (dir: string): PrivateDirPurpose => ({
  what: 'history directory',
  remedy: `fix its owner and mode (chmod 700 ${dir}) or give another history directory`,
})

/** Creates DIR (mode 0700) and its subdirectories if missing; refuses any that is not private. */
export async function ensureHistoryDir(dir: string): Promise<void> {
  await ensurePrivateDir(dir, purpose(dir))
  for (const sub of [UNDO_SUBDIR, READERS_SUBDIR]) await ensurePrivateDir(path.join(dir, sub), purpose(dir))
}

/** Refuses DIR unless it exists and is private; its subdirectories are checked (or made) too. */
export async function checkHistoryDir(dir: string): Promise<void> {
  const stats = await fsp.lstat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new InvalidInputError(`history directory ${dir} does not exist: check the path`)
    throw err
  })
  if (!stats.isDirectory() && !stats.isSymbolicLink()) throw new InvalidInputError(`${dir} is not a directory: expected a history directory`)
  await checkPrivateDir(dir, purpose(dir))
  for (const sub of [UNDO_SUBDIR, READERS_SUBDIR]) await ensurePrivateDir(path.join(dir, sub), purpose(dir))
}
