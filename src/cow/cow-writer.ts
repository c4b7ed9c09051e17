// Writes COW images in the kernel's exact persistent-store layout. The tests,
// the demo and the benchmark all build their inputs with it.
import { promises as fsp } from 'fs'
import { encodeCowHeader, DISK_EXCEPTION_BYTES, SNAP_MAGIC } from '../format/cow-header'
import { areaChunk } from '../format/cow-layout'
import { SECTOR_BYTES } from '../units'

export interface CowImageSpec {
  chunkSizeSectors: number
  /** Origin chunk of each exception, in commit order. */
  oldChunks: ArrayLike<number>
  /** The origin's data saved for exception i; omitted, data chunks stay holes (sparse benchmarks). */
  savedData?: (oldChunk: number, index: number) => Buffer
  /** Default true; false writes the header the kernel writes after an overflow. */
  valid?: boolean
  /** Device size; default: just large enough, terminating area included. */
  cowSizeBytes?: number
  /** Overrides for bad-input tests. */
  magic?: number
  version?: number
  /** Overrides the new_chunk of exception i (bad-input tests). */
  newChunkOf?: (index: number, kernelChoice: number) => number
}

/** Smallest COW size in bytes that holds `exceptions` plus the terminating area. */
export function minimumCowSizeBytes(chunkSizeSectors: number, exceptions: number): number {
  const chunkBytes = chunkSizeSectors * SECTOR_BYTES
  const perArea = chunkBytes / DISK_EXCEPTION_BYTES
  const lastArea = Math.floor(exceptions / perArea)
  const usedInLast = exceptions % perArea
  // A full area is followed by a zeroed one: lastArea is that one when usedInLast is 0.
  return (areaChunk(lastArea, perArea) + 1 + usedInLast) * chunkBytes
}

/** Kernel's choice of COW chunk for exception `index`: data chunks follow their area. */
export function kernelNewChunk(index: number, perArea: number): number {
  return areaChunk(Math.floor(index / perArea), perArea) + 1 + (index % perArea)
}

/** Writes the image to `path` (created or truncated). Returns its size in bytes. */
export async function writeCowImage(path: string, spec: CowImageSpec): Promise<number> {
  const chunkBytes = spec.chunkSizeSectors * SECTOR_BYTES
  const perArea = chunkBytes / DISK_EXCEPTION_BYTES
  const count = spec.oldChunks.length
  const sizeBytes = spec.cowSizeBytes ?? minimumCowSizeBytes(spec.chunkSizeSectors, count)
  const file = await fsp.open(path, 'w')
  try {
    await file.truncate(sizeBytes)
    const header = Buffer.alloc(chunkBytes)
    encodeCowHeader({
      valid: spec.valid ?? true,
      chunkSizeSectors: spec.chunkSizeSectors,
      magic: spec.magic ?? SNAP_MAGIC,
      version: spec.version,
    }).copy(header)
    await file.write(header, 0, Math.min(chunkBytes, sizeBytes), 0)
    const area = Buffer.alloc(chunkBytes)
    const words = new Uint32Array(area.buffer, area.byteOffset, chunkBytes / 4)
    for (let first = 0; first <= count; first += perArea) {
      area.fill(0)
      const entries = Math.min(perArea, count - first)
      for (let e = 0; e < entries; e++) {
        const index = first + e
        const kernelChoice = kernelNewChunk(index, perArea)
        const newChunk = spec.newChunkOf ? spec.newChunkOf(index, kernelChoice) : kernelChoice
        setU64(words, e * 4, spec.oldChunks[index])
        setU64(words, e * 4 + 2, newChunk)
        const data = spec.savedData?.(spec.oldChunks[index], index)
        if (data) await file.write(data, 0, chunkBytes, newChunk * chunkBytes)
      }
      const offset = areaChunk(first / perArea, perArea) * chunkBytes
      if (offset + chunkBytes <= sizeBytes) await file.write(area, 0, chunkBytes, offset)
      if (entries < perArea) break
    }
  } finally {
    await file.close()
  }
  return sizeBytes
}

function setU64(words: Uint32Array, at: number, value: number): void {
  words[at] = value % 0x1_0000_0000
  words[at + 1] = Math.floor(value / 0x1_0000_0000)
}
