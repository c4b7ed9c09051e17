// The backup TARGET (a block device or a regular file): opened without
// O_CREAT or O_TRUNC, and refused unless its size is exactly the snapshot's.
import { constants, promises as fsp } from 'fs'
import { deviceSizeBytes } from '../io/device-size'
import { DeviceIoError, InvalidInputError, ioError } from '../errors'
import { formatBytes } from '../units'

export interface Target {
  readonly path: string
  readonly sizeBytes: number
  readonly handle: fsp.FileHandle
}

/** Opens TARGET for writing (or reading) and checks its size, before anything is written. */
export async function openTarget(targetPath: string, expectedSizeBytes: number, mode: 'write' | 'read'): Promise<Target> {
  let handle: fsp.FileHandle
  try {
    handle = await fsp.open(targetPath, mode === 'write' ? constants.O_WRONLY : constants.O_RDONLY)
  } catch (err) {
    throw new InvalidInputError(`cannot open the target ${targetPath}: ${(err as Error).message} (it must exist: snapdelta never creates or truncates it)`, { cause: err })
  }
  try {
    const sizeBytes = await deviceSizeBytes(targetPath, await handle.stat())
    if (sizeBytes !== expectedSizeBytes) {
      throw new InvalidInputError(
        `the target ${targetPath} is ${sizeBytes} bytes (${formatBytes(sizeBytes)}) but the snapshot is ${expectedSizeBytes} bytes ` +
          `(${formatBytes(expectedSizeBytes)}): refusing to write; the backup must be exactly the snapshot's size`,
      )
    }
    return { path: targetPath, sizeBytes, handle }
  } catch (err) {
    await handle.close()
    throw err
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

/** Flushes TARGET to stable storage: success is reported only after this. */
export async function syncTarget(target: Target): Promise<void> {
  try {
    await target.handle.sync()
  } catch (err) {
    throw ioError('fsync of', target.path, err)
  }
}
