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
  const out = Buffer.alloc(Math.ceil(length / 4) * 4)
  let x = seed >>> 0 || 0x9e3779b9
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out.writeUInt32LE(x, i)
  }
  return out.subarray(0, length)
}

/** Builds the scenario in memory and writes base.img, snap2.img and cow1.img into `dir`. */
export async function writeScenario(dir: string, spec: ScenarioSpec): Promise<ScenarioFiles> {
  const chain = await writeSnapshotChain(dir, {
    deviceSizeBytes: spec.deviceSizeBytes,
    chunkSizeSectors: spec.chunkSizeSectors,
    phases: [spec.writes],
    seed: spec.seed,
    names: ['base', 'snap2'],
  })
  return { dir, base: chain.snapshots[0], snap2: chain.snapshots[1], cow1: chain.cows[0], changedChunks: chain.changedChunks[0] }
}

export interface SnapshotChainSpec {
  deviceSizeBytes: number
  chunkSizeSectors: number
  /** Writes to the origin after each snapshot: phase i runs between snapshot i and i+1. */
  phases: ScenarioWrite[][]
  seed?: number
  /** File names (without .img) of the snapshots; default snap1, snap2, ... */
  names?: string[]
}

export interface SnapshotChainFiles {
  /** Image of each snapshot, oldest first (one more than the phases). */
  snapshots: string[]
  /** COW of snapshot i, as it stands once snapshot i+1 exists (before later writes). */
  cows: string[]
  changedChunks: number[][]
}

/**
 * Snapshots taken one after another of one origin, each phase of writes in
 * between. Snapshot i's COW records the chunks first written after it was
 * taken, up to the next snapshot: what a backup reads once snapshot i+1 exists.
 */
export async function writeSnapshotChain(dir: string, spec: SnapshotChainSpec): Promise<SnapshotChainFiles> {
  const chunkBytes = spec.chunkSizeSectors * SECTOR_BYTES
  const names = spec.names ?? spec.phases.map((_, i) => `snap${i + 1}`).concat(`snap${spec.phases.length + 1}`)
  await fsp.mkdir(dir, { recursive: true })
  const origin = Buffer.from(pseudoRandomBytes(spec.deviceSizeBytes, spec.seed ?? 1))
  const files: SnapshotChainFiles = { snapshots: [], cows: [], changedChunks: [] }
  const snapshotPath = (i: number) => path.join(dir, `${names[i]}.img`)
  await fsp.writeFile(snapshotPath(0), origin)
  files.snapshots.push(snapshotPath(0))
  for (let phase = 0; phase < spec.phases.length; phase++) {
    const before = Buffer.from(origin)
    const changed: number[] = []
    const seen = new Set<number>()
    for (const write of spec.phases[phase]) {
      const first = Math.floor(write.offsetBytes / chunkBytes)
      const last = Math.floor((write.offsetBytes + write.data.length - 1) / chunkBytes)
      // The kernel copies each chunk out once, on its first write after the snapshot.
      for (let c = first; c <= last; c++) {
        if (!seen.has(c)) {
          seen.add(c)
          changed.push(c)
        }
      }
      write.data.copy(origin, write.offsetBytes)
    }
    const cow = path.join(dir, `cow${phase + 1}.img`)
    await writeCowImage(cow, {
      chunkSizeSectors: spec.chunkSizeSectors,
      oldChunks: changed,
      savedData: (chunk) => {
        const saved = Buffer.alloc(chunkBytes)
        before.copy(saved, 0, chunk * chunkBytes, Math.min((chunk + 1) * chunkBytes, before.length))
        return saved
      },
    })
    await fsp.writeFile(snapshotPath(phase + 1), origin)
    files.cows.push(cow)
    files.changedChunks.push(changed)
    files.snapshots.push(snapshotPath(phase + 1))
  }
  return files
}
