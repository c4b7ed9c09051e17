// changed/: one file per run, named by the run's offset (16 lowercase hex
// digits), holding the new snapshot's bytes of that run. Lookups are a binary
// search over the runs; no per-file state is kept.
import { changedFileName, parseChangedFileName } from '../format/chunks-map-text'
import { BlockSource } from '../io/block-source'
import { ChunkRuns } from '../map/chunk-runs'
import { VfsDir, VfsNode } from './node'
import { SnapshotRangeFile } from './snapshot-range-file'
import { LRUCache } from 'lru-cache'

// Listings never change while mounted, and building a million names on every
// readdir grew the server by 50-190 MiB a listing (measured: npm run bench).
// The most recent listings are kept, up to this many names in all (~50 bytes each).
const LISTED_NAMES_KEPT = 4_000_000
const listings = new LRUCache<ChangedDir, string[]>({
  maxSize: LISTED_NAMES_KEPT,
  sizeCalculation: (names) => Math.max(names.length, 1),
})

export class ChangedDir implements VfsDir {
  readonly kind = 'dir'

  constructor(
    private readonly runs: ChunkRuns,
    private readonly snapshot: BlockSource,
  ) {}

  async list(): Promise<string[]> {
    let names = listings.get(this)
    if (!names) {
      names = new Array<string>(this.runs.count)
      for (let i = 0; i < this.runs.count; i++) names[i] = changedFileName(this.runs.offsetBytes(i))
      listings.set(this, names)
    }
    return names
  }

  async lookup(name: string): Promise<VfsNode | undefined> {
    const offsetBytes = parseChangedFileName(name)
    // Only the exact names list() shows exist: no aliases with other suffixes.
    if (offsetBytes < 0 || changedFileName(offsetBytes) !== name) return undefined
    const i = this.runs.runStartingAt(offsetBytes)
    if (i < 0) return undefined
    return new SnapshotRangeFile(this.snapshot, offsetBytes, this.runs.lengthBytes(i))
  }
}
