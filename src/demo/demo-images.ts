// The demo's inputs: an origin with two later snapshots, written with the
// project's own COW writer in the kernel's exact format, so newcomers can try
// every recipe without LVM.
import path from 'path'
import { promises as fsp } from 'fs'
import { pseudoRandomBytes, ScenarioWrite, writeSnapshotChain } from '../cow/scenario'

export const DEMO_DEVICE_BYTES = 32 * 1024 * 1024
export const DEMO_CHUNK_SECTORS = 8

export interface DemoImages {
  dir: string
  /** snap1: what the backup holds after the first full copy. */
  snap1: string
  snap2: string
  snap3: string
  /** snap1's COW once snap2 exists: the first increment. */
  cow1: string
  /** snap2's COW once snap3 exists: the second increment. */
  cow2: string
  /** A copy of snap1, standing in for the backup device. */
  backup: string
}

function phaseWrites(seed: number): ScenarioWrite[] {
  const writes: ScenarioWrite[] = []
  const offsets = pseudoRandomBytes(64 * 4, seed)
  for (let i = 0; i < 60; i++) {
    const offsetBytes = (offsets.readUInt32LE(i * 4) % (DEMO_DEVICE_BYTES / 512 - 64)) * 512
    const lengthBytes = 512 * (1 + (offsets.readUInt32LE(i * 4) % 24))
    // A few writes of zeros: changed chunks that read as zeros, the hazard of sparse copies.
    const data = i % 10 === 0 ? Buffer.alloc(lengthBytes) : pseudoRandomBytes(lengthBytes, seed * 1000 + i)
    writes.push({ offsetBytes, data })
  }
  writes.push({ offsetBytes: 0, data: pseudoRandomBytes(512, seed + 7) })
  writes.push({ offsetBytes: DEMO_DEVICE_BYTES - 512, data: pseudoRandomBytes(512, seed + 8) })
  return writes
}

/** Writes the demo images into `dir`. */
export async function writeDemoImages(dir: string): Promise<DemoImages> {
  const chain = await writeSnapshotChain(dir, {
    deviceSizeBytes: DEMO_DEVICE_BYTES,
    chunkSizeSectors: DEMO_CHUNK_SECTORS,
    phases: [phaseWrites(11), phaseWrites(23)],
    seed: 5,
  })
  const backup = path.join(dir, 'backup.img')
  await fsp.copyFile(chain.snapshots[0], backup)
  return {
    dir,
    snap1: chain.snapshots[0],
    snap2: chain.snapshots[1],
    snap3: chain.snapshots[2],
    cow1: chain.cows[0],
    cow2: chain.cows[1],
    backup,
  }
}
