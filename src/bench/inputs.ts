// The benchmark's input files, made in one scratch directory: snapshots that hold random
// data only where the runs are, and fully random files. Items share them
// through `Workspace.once`, so a full run makes each input once.
import { randomFillSync } from 'crypto'
import { promises as fsp } from 'fs'
import os from 'os'
import path from 'path'
import { ByteRun } from './chunk-sets'

const BLOCK_BYTES = 16 << 20

export class Workspace {
  private readonly made = new Map<string, Promise<unknown>>()

  private constructor(readonly dir: string) {}

  /** A new scratch directory under the system's temporary directory. */
  static async create(): Promise<Workspace> {
    return new Workspace(await fsp.mkdtemp(path.join(os.tmpdir(), 'snapdelta-bench-')))
  }

  /** A path inside the scratch directory. */
  file(name: string): string {
    return path.join(this.dir, name)
  }

  /** Makes an input the first time it is asked for; later calls share the result. */
  once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let made = this.made.get(key) as Promise<T> | undefined
    if (!made) {
      made = make()
      this.made.set(key, made)
    }
    return made
  }

  /** Removes the scratch directory and everything in it (after every mount is gone). */
  async remove(): Promise<void> {
    await fsp.rm(this.dir, { recursive: true, force: true })
  }
}

/** Creates a file of `sizeBytes` that is all holes. */
export async function writeSparseFile(filePath: string, sizeBytes: number): Promise<void> {
  const file = await fsp.open(filePath, 'w')
  try {
    await file.truncate(sizeBytes)
  } finally {
    await file.close()
  }
}

/** A sparse file of `sizeBytes` holding random data in `runs` only, flushed to disk. */
export async function writeSnapshotWithRuns(filePath: string, sizeBytes: number, runs: readonly ByteRun[]): Promise<void> {
  await writeSparseFile(filePath, sizeBytes)
  await writeRandomInRuns(filePath, runs)
}

/** Overwrites `runs` of the existing file `filePath` with new random data, then fsyncs: the writes of a volume between two snapshots. */
export async function writeRandomInRuns(filePath: string, runs: readonly ByteRun[]): Promise<void> {
  const file = await fsp.open(filePath, 'r+')
  try {
    const block = Buffer.allocUnsafe(BLOCK_BYTES)
    for (const run of runs) {
      for (let done = 0; done < run.lengthBytes; done += BLOCK_BYTES) {
        const n = Math.min(BLOCK_BYTES, run.lengthBytes - done)
        randomFillSync(block, 0, n)
        await file.write(block, 0, n, run.offsetBytes + done)
      }
    }
    await file.sync()
  } finally {
    await file.close()
  }
}

/** A file of `sizeBytes` of random data, flushed to disk. */
export async function writeRandomFile(filePath: string, sizeBytes: number): Promise<void> {
  await writeSnapshotWithRuns(filePath, sizeBytes, [{ offsetBytes: 0, lengthBytes: sizeBytes }])
}
