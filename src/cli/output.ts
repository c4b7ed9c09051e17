// Writing command results: JSON for scripts (--json), text for people, and
// binary streams (send). Everything a command prints on stdout goes through
// writeStdout, so a reader that goes away (`| head`) is one clear error.
import { fstatSync, write } from 'fs'
import { ioError, OutputClosedError, SnapdeltaError } from '../errors'

// Bytes stdout has taken so far: says how much of the output the reader got.
let bytesWritten = 0
let closedBy: Error | undefined

// One listener for the whole run: without it an EPIPE is an uncaught 'error' event.
function watchStdout(): void {
  if (process.stdout.listenerCount('error') > 0) return
  process.stdout.on('error', (err) => (closedBy ??= err))
}

// EPIPE is the reader leaving; anything else (ENOSPC on a redirected file) is a write failure.
function stdoutError(err: Error, what: string): SnapdeltaError {
  if ((err as NodeJS.ErrnoException).code === 'EPIPE') {
    return new OutputClosedError(`stdout was closed by its reader after ${bytesWritten} bytes: the ${what} is incomplete`)
  }
  return ioError(`writing the ${what} to`, 'stdout', err)
}

/** Writes to stdout and resolves once stdout took it; rejects with OutputClosedError when the reader went away. */
export function writeStdout(data: string | Buffer, what = 'output'): Promise<void> {
  watchStdout()
  return new Promise<void>((resolve, reject) => {
    if (closedBy) return reject(stdoutError(closedBy, what))
    const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length
    process.stdout.write(data, (err) => {
      if (err) {
        closedBy ??= err
        return reject(stdoutError(closedBy, what))
      }
      bytesWritten += length
      resolve()
    })
  })
}

let stdoutIsFile: boolean | undefined

/**
 * writeStdout for outputs of hundreds of megabytes written buffer after
 * buffer: when stdout is a regular file, the copy into the page cache runs on
 * the thread pool, so the caller fills its next buffer meanwhile (0.15 s of a
 * 10M-line map). Pipes and terminals go through writeStdout. The caller must
 * not change `data`, nor write anything else, until the promise settles.
 */
export function writeStdoutOverlapped(data: Buffer, what = 'output'): Promise<void> {
  stdoutIsFile ??= isRegularFile(1)
  if (!stdoutIsFile) return writeStdout(data, what)
  return new Promise<void>((resolve, reject) => {
    let done = 0
    const step = (): void =>
      write(1, data, done, data.length - done, null, (err, n) => {
        if (err) return reject(stdoutError(err, what))
        if (n === 0) return reject(stdoutError(new Error(`the file took no bytes after ${bytesWritten}`), what))
        done += n
        bytesWritten += n
        if (done < data.length) step()
        else resolve()
      })
    step()
  })
}

// A closed or odd stdout takes the ordinary path, which reports it as writeStdout does.
function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile()
  } catch {
    return false
  }
}

/** `value` as one JSON document, the way every --json prints it. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}

/** Prints `value` as one JSON document on stdout. */
export function printJson(value: unknown): Promise<void> {
  return writeStdout(formatJson(value))
}
