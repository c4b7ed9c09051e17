// The one read loop: fills a buffer or fails, never returning a short read
// that a caller could mistake for data.
import { read } from 'fs'
import { DeviceIoError, ioError } from '../errors'

/**
 * Fills `target` from `offsetBytes` of `fd`; an early end is an error that
 * says where `path` ended. Callbacks and one promise, not an async loop: this
 * is the FUSE read path, where each extra promise per request shows up as CPU.
 */
export function readFully(fd: number, path: string, target: Buffer, offsetBytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = 0
    const step = (): void =>
      read(fd, target, done, target.length - done, offsetBytes + done, (err, n) => {
        if (err) return reject(ioError(`read at byte ${offsetBytes + done} of`, path, err))
        if (n === 0) {
          return reject(
            new DeviceIoError(`${path} ended at byte ${offsetBytes + done}, before the end of the read: it shrank or is unreadable`),
          )
        }
        done += n
        if (done < target.length) step()
        else resolve()
      })
    step()
  })
}
