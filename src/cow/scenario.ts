// A generated backup scenario: an origin, snapshot 1 (base), writes, snapshot 2,
// and snapshot 1's COW exactly as the kernel would have written it.
import { promises as fsp } from 'fs'
import path from 'path'
import { writeCowImage } from './cow-writer'
import { SECTOR_BYTES } from '../units'

export interface ScenarioWrite {
  offsetBytes: number
  data: Buffer
}

export interface ScenarioSpec {
  deviceSizeBytes: number
  chunkSizeSectors: number
  /** Writes to the origin after snapshot 1, in order. */
  writes: ScenarioWrite[]
  /** Seed of the base content; default 1. */
  seed?: number
}

export interface ScenarioFiles {
  dir: string
  base: string
  snap2: string
  cow1: string
  /** Chunks listed in cow1, in commit order. */
  changedChunks: number[]
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length)
  let x = seed >>> 0 || 0x9e3779b9
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out.writeUInt32LE(x, i & ~3)
  }
  return out
}

/** Builds the scenario in memory and writes base.img, snap2.img and cow1.img into `dir`. */
export async function writeScenario(dir: string, spec: ScenarioSpec): Promise<ScenarioFiles> {
  const chunkBytes = spec.chunkSizeSectors * SECTOR_BYTES
  const base = pseudoRandomBytes(spec.deviceSizeBytes + 3, spec.seed ?? 1).subarray(0, spec.deviceSizeBytes)
  const origin = Buffer.from(base)
  const changedChunks: number[] = []
  const seen = new Set<number>()
  for (const write of spec.writes) {
    const first = Math.floor(write.offsetBytes / chunkBytes)
    const last = Math.floor((write.offsetBytes + write.data.length - 1) / chunkBytes)
    // The kernel copies each chunk out once, on its first write after the snapshot.
    for (let c = first; c <= last; c++) {
      if (!seen.has(c)) {
        seen.add(c)
        changedChunks.push(c)
      }
    }
    write.data.copy(origin, write.offsetBytes)
  }
  await fsp.mkdir(dir, { recursive: true })
  const files: ScenarioFiles = {
    dir,
    base: path.join(dir, 'base.img'),
    snap2: path.join(dir, 'snap2.img'),
    cow1: path.join(dir, 'cow1.img'),
    changedChunks,
  }
  await fsp.writeFile(files.base, base)
  await fsp.writeFile(files.snap2, origin)
  await writeCowImage(files.cow1, {
    chunkSizeSectors: spec.chunkSizeSectors,
    oldChunks: changedChunks,
    savedData: (chunk) => {
      const saved = Buffer.alloc(chunkBytes)
      base.copy(saved, 0, chunk * chunkBytes, Math.min((chunk + 1) * chunkBytes, base.length))
      return saved
    },
  })
  return files
}
