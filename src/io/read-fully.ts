// The one read loop: fills a buffer or fails, never returning a short read
// that a caller could mistake for data.
import { promises as fsp } from 'fs'
import { DeviceIoError, ioError } from '../errors'

/** Fills `target` from `offsetBytes` of `handle`; an early end is an error that says where `path` ended. */
export async function readFully(handle: fsp.FileHandle, path: string, target: Buffer, offsetBytes: number): Promise<void> {
  let done = 0
  while (done < target.length) {
    let n: number
    try {
      ;({ bytesRead: n } = await handle.read(target, done, target.length - done, offsetBytes + done))
    } catch (err) {
      throw ioError(`read at byte ${offsetBytes + done} of`, path, err)
    }
    if (n === 0) {
      throw new DeviceIoError(`${path} ended at byte ${offsetBytes + done}, before the end of the read: it shrank or is unreadable`)
    }
    done += n
  }
}
