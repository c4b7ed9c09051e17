// Writing files by fixed names in a private directory (src/io/private-dir.ts)
// without ever writing through something already there: each file is created
// new under a random name (O_EXCL|O_NOFOLLOW: never an existing file, never
// through a symlink) and renamed into place, which replaces a symlink itself,
// not what it points to.
import { randomBytes } from 'crypto'
import { constants, promises as fsp } from 'fs'

type FileHandle = fsp.FileHandle

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW

/** Creates `filePath`, failing (EEXIST) if anything, even a dangling symlink, has that name. */
export function createNewFile(filePath: string, mode = 0o600): Promise<FileHandle> {
  return fsp.open(filePath, CREATE_NEW, mode)
}

/** A new empty file that replaces whatever was at `filePath`; open for writing. */
export async function openReplacing(filePath: string, mode = 0o600): Promise<FileHandle> {
  const temp = tempName(filePath)
  const file = await createNewFile(temp, mode)
  try {
    await fsp.rename(temp, filePath)
  } catch (err) {
    await file.close()
    await fsp.rm(temp, { force: true })
    throw err
  }
  return file
}

/** Replaces `filePath` with `text` in one step: readers see the old or the new content, never a part. */
export async function writeFileReplacing(filePath: string, text: string, mode = 0o600): Promise<void> {
  const temp = tempName(filePath)
  try {
    const file = await createNewFile(temp, mode)
    try {
      await file.writeFile(text)
    } finally {
      await file.close()
    }
    await fsp.rename(temp, filePath)
  } catch (err) {
    await fsp.rm(temp, { force: true })
    throw err
  }
}

// Random, so nobody can have planted anything under that name beforehand.
function tempName(filePath: string): string {
  return `${filePath}.new-${process.pid}-${randomBytes(4).toString('hex')}`
}
