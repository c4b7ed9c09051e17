// Reading a small text file that snapdelta did not write (chunks.map,
// info.json of a generation directory): a regular file only, and no larger
// than the caller can sensibly hold.
import { constants, Stats } from 'fs'
import { InvalidInputError } from '../errors'
import { formatBytes } from '../units'
import { openDataFile } from './open-data-file'

export interface TextFileContent {
  text: string
  /** fstat of the file read: its st_dev tells which filesystem served it. */
  stats: Stats
}

/** The UTF-8 text of the regular file `path`; refuses other kinds of file and files over `maxBytes`. */
export async function readTextFile(path: string, maxBytes: number): Promise<TextFileContent> {
  const { handle, stats } = await openDataFile(path, constants.O_RDONLY, 'cannot read', true)
  try {
    if (stats.size > maxBytes) {
      throw new InvalidInputError(`${path} is ${stats.size} bytes (${formatBytes(stats.size)}): expected at most ${formatBytes(maxBytes)}`)
    }
    return { text: await handle.readFile('utf8'), stats }
  } finally {
    await handle.close()
  }
}
