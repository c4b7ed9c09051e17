// Opening a file or block device that snapdelta reads data from or writes data
// to. A FIFO would hang the open itself (it waits for the other end), and a
// socket, character device or directory never holds a disk image. So the path
// is first opened with O_NONBLOCK, which never waits; fstat says what it is;
// only a regular file or a block device is then opened for real, through
// /proc/self/fd, which names the very file already checked whatever the path
// names by then.
import { constants, promises as fsp, Stats } from 'fs'
import { InvalidInputError } from '../errors'

// Linux's O_ACCMODE: Node's fs.constants lacks it.
const O_ACCMODE = 0o3

export interface OpenedDataFile {
  handle: fsp.FileHandle
  stats: Stats
}

/** What `stats` names, in words for a message. */
export function fileTypeName(stats: Stats): string {
  if (stats.isFile()) return 'a regular file'
  if (stats.isBlockDevice()) return 'a block device'
  if (stats.isFIFO()) return 'a FIFO (named pipe)'
  if (stats.isSocket()) return 'a socket'
  if (stats.isCharacterDevice()) return 'a character device'
  if (stats.isDirectory()) return 'a directory'
  return 'a special file'
}

/**
 * Opens `path` with `flags` (O_RDONLY or O_WRONLY, plus e.g. O_DIRECT) once it
 * is known to be a regular file (or, unless `regularOnly`, a block device).
 * Errors of open(2) are thrown as they are, for the caller to put in context;
 * any other kind of file is refused with InvalidInputError naming `what`.
 */
export async function openDataFile(path: string, flags: number, what: string, regularOnly = false): Promise<OpenedDataFile> {
  const refuse = (stats: Stats) => {
    const expected = regularOnly ? 'a regular file' : 'a regular file or a block device'
    return new InvalidInputError(`${what} ${path} is ${fileTypeName(stats)}: expected ${expected}`)
  }
  let probe: fsp.FileHandle
  try {
    probe = await fsp.open(path, (flags & O_ACCMODE) | constants.O_NONBLOCK)
  } catch (err) {
    // A FIFO without a reader refuses a non-blocking writer with ENXIO: say what it is instead.
    if ((err as NodeJS.ErrnoException).code === 'ENXIO') {
      const stats = await fsp.stat(path).catch(() => undefined)
      if (stats?.isFIFO()) throw refuse(stats)
    }
    throw err
  }
  try {
    const stats = await probe.stat()
    if (!(stats.isFile() || (!regularOnly && stats.isBlockDevice()))) throw refuse(stats)
    const handle = await fsp.open(`/proc/self/fd/${probe.fd}`, flags)
    return { handle, stats }
  } finally {
    await probe.close()
  }
}
