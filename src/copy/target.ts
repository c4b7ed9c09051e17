// The backup TARGET (a block device or a regular file): opened without
// O_CREAT or O_TRUNC, and refused unless its size is exactly the snapshot's.
import { constants, promises as fsp } from 'fs'
import { deviceSizeBytes } from '../io/device-size'
import { openDataFile } from '../io/open-data-file'
import { readFully } from '../io/read-fully'
import { findSameFile, identityOf, NamedIdentity } from '../io/device-identity'
import { DeviceIoError, InvalidInputError, ioError } from '../errors'
import { formatBytes } from '../units'
import { lockTarget } from './target-lock'

export interface Target {
  readonly path: string
  readonly sizeBytes: number
  readonly handle: fsp.FileHandle
  /** Closes TARGET and, opened for writing, releases its write lock. */
  close(): Promise<void>
}

/**
 * Opens TARGET for writing (or reading) and checks, before anything is
 * written, that it is none of `inputs` (the generation's own sources) and
 * has exactly the snapshot's size. For writing it also takes TARGET's write
 * lock (target-lock.ts): a second writer is refused with exit 6. A writer
 * opens TARGET read-write: it reads what TARGET holds before it writes (base-check.ts).
 */
export async function openTarget(
  targetPath: string,
  expectedSizeBytes: number,
  mode: 'write' | 'read',
  inputs: readonly NamedIdentity[] = [],
): Promise<Target> {
  let handle: fsp.FileHandle
  let stats
  try {
    // Read-write for writing: the content check and the history's undo data read TARGET through the handle that writes it.
    ;({ handle, stats } = await openDataFile(targetPath, mode === 'write' ? constants.O_RDWR : constants.O_RDONLY, 'the target'))
  } catch (err) {
    if (err instanceof InvalidInputError) throw err
    throw new InvalidInputError(`cannot open the target ${targetPath}: ${(err as Error).message} (it must exist: snapdelta never creates or truncates it)`, { cause: err })
  }
  try {
    await refuseInput(targetPath, identityOf(stats), inputs)
    const sizeBytes = await deviceSizeBytes(targetPath, stats)
    if (sizeBytes !== expectedSizeBytes) {
      throw new InvalidInputError(
        `the target ${targetPath} is ${sizeBytes} bytes (${formatBytes(sizeBytes)}) but the snapshot is ${expectedSizeBytes} bytes ` +
          `(${formatBytes(expectedSizeBytes)}): ${mode === 'write' ? 'refusing to write' : 'not comparing'}; the backup must be exactly the snapshot's size`,
      )
    }
    const lock = mode === 'write' ? await lockTarget(targetPath, identityOf(stats)) : undefined
    return {
      path: targetPath,
      sizeBytes,
      handle,
      close: async () => {
        try {
          await handle.close()
        } finally {
          await lock?.release()
        }
      },
    }
  } catch (err) {
    await handle.close()
    throw err
  }
}

// A TARGET that is one of the generation's inputs (the snapshot, its COW, an image), or a loop device over one.
async function refuseInput(targetPath: string, identity: string, inputs: readonly NamedIdentity[]): Promise<void> {
  const same = await findSameFile(identity, inputs)
  if (same) {
    throw new InvalidInputError(
      `the target ${targetPath} is the same file or device as ${same.path}, which the generation is read from: ` +
        'refusing to write onto a source of the delta; expected the backup device or file',
    )
  }
}

/** Writes all of `data` at `offsetBytes`. */
export async function writeFully(target: Target, data: Buffer, offsetBytes: number): Promise<void> {
  let done = 0
  while (done < data.length) {
    let n: number
    try {
      ;({ bytesWritten: n } = await target.handle.write(data, done, data.length - done, offsetBytes + done))
    } catch (err) {
      throw ioError(`write at byte ${offsetBytes + done} of`, target.path, err)
    }
    if (n === 0) throw new DeviceIoError(`${target.path}: write at byte ${offsetBytes + done} wrote nothing`)
    done += n
  }
}

/** Fills `data` with TARGET's bytes at `offsetBytes`. */
export async function readTarget(target: Target, data: Buffer, offsetBytes: number): Promise<void> {
  await readFully(target.handle.fd, target.path, data, offsetBytes)
}

/** Flushes TARGET to stable storage: success is reported only after this. */
export async function syncTarget(target: Target): Promise<void> {
  try {
    await target.handle.sync()
  } catch (err) {
    throw ioError('fsync of', target.path, err)
  }
}
