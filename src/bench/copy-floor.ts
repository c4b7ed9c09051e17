// The physical floor of an incremental copy: read exactly the changed runs
// from the snapshot file and write them at the same offsets, one after the
// other with large buffers, then fsync. No FUSE, no map, no parallelism.
import { promises as fsp } from 'fs'
import { ByteRun } from './chunk-sets'
import { secondsSince } from './shell'

const PIECE_BYTES = 4 << 20

/** Copies `runs` from `sourcePath` onto `targetPath` (an existing file) and fsyncs; returns seconds. */
export async function copyRunsFloor(sourcePath: string, targetPath: string, runs: readonly ByteRun[]): Promise<number> {
  const start = process.hrtime.bigint()
  const source = await fsp.open(sourcePath, 'r')
  const target = await fsp.open(targetPath, 'r+')
  try {
    const buffer = Buffer.allocUnsafe(PIECE_BYTES)
    for (const run of runs) {
      for (let done = 0; done < run.lengthBytes; ) {
        const want = Math.min(PIECE_BYTES, run.lengthBytes - done)
        const { bytesRead } = await source.read(buffer, 0, want, run.offsetBytes + done)
        if (bytesRead === 0) throw new Error(`${sourcePath} ended at byte ${run.offsetBytes + done}`)
        await writeAll(target, buffer.subarray(0, bytesRead), run.offsetBytes + done)
        done += bytesRead
      }
    }
    await target.sync()
  } finally {
    await source.close()
    await target.close()
  }
  return secondsSince(start)
}

async function writeAll(file: fsp.FileHandle, data: Buffer, offsetBytes: number): Promise<void> {
  for (let done = 0; done < data.length; ) {
    const { bytesWritten } = await file.write(data, done, data.length - done, offsetBytes + done)
    done += bytesWritten
  }
}

/** The first run whose bytes differ between the two files, or undefined when all match. */
export async function firstDifferingRun(aPath: string, bPath: string, runs: readonly ByteRun[]): Promise<ByteRun | undefined> {
  const a = await fsp.open(aPath, 'r')
  const b = await fsp.open(bPath, 'r')
  try {
    const bufA = Buffer.allocUnsafe(PIECE_BYTES)
    const bufB = Buffer.allocUnsafe(PIECE_BYTES)
    for (const run of runs) {
      for (let done = 0; done < run.lengthBytes; done += PIECE_BYTES) {
        const n = Math.min(PIECE_BYTES, run.lengthBytes - done)
        const [ra, rb] = await Promise.all([a.read(bufA, 0, n, run.offsetBytes + done), b.read(bufB, 0, n, run.offsetBytes + done)])
        if (ra.bytesRead !== n || rb.bytesRead !== n || !bufA.subarray(0, n).equals(bufB.subarray(0, n))) return run
      }
    }
    return undefined
  } finally {
    await a.close()
    await b.close()
  }
}

/**
 * What a write-ahead journal must do at least before TARGET is written: read
 * the runs of `targetPath` and write them one after the other to the new file
 * `journalPath`, then fsync it. Returns seconds for the read-and-write, and
 * for reading the runs a second time (from the page cache, as a second reader
 * of TARGET would).
 */
export async function journalRunsFloor(targetPath: string, journalPath: string, runs: readonly ByteRun[]): Promise<{ seconds: number; rereadSeconds: number }> {
  const start = process.hrtime.bigint()
  const source = await fsp.open(targetPath, 'r')
  const journal = await fsp.open(journalPath, 'w')
  try {
    const buffer = Buffer.allocUnsafe(PIECE_BYTES)
    let at = 0
    for (const run of runs) {
      for (let done = 0; done < run.lengthBytes; ) {
        const { bytesRead } = await source.read(buffer, 0, Math.min(PIECE_BYTES, run.lengthBytes - done), run.offsetBytes + done)
        if (bytesRead === 0) throw new Error(`${targetPath} ended at byte ${run.offsetBytes + done}`)
        await writeAll(journal, buffer.subarray(0, bytesRead), at)
        at += bytesRead
        done += bytesRead
      }
    }
    await journal.sync()
    const seconds = secondsSince(start)
    const again = process.hrtime.bigint()
    for (const run of runs) {
      for (let done = 0; done < run.lengthBytes; ) {
        done += (await source.read(buffer, 0, Math.min(PIECE_BYTES, run.lengthBytes - done), run.offsetBytes + done)).bytesRead
      }
    }
    return { seconds, rereadSeconds: secondsSince(again) }
  } finally {
    await source.close()
    await journal.close()
  }
}
