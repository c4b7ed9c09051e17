// A thin delta in bytes: what must be copied from the newer snapshot onto a
// copy of the older one. All three kinds are copied; left_only ranges are
// unmapped in the newer snapshot, which reads zeros there, and skipping them
// would leave the old data in the backup (../shared/docs/lvm-thin.md).
import { InvalidInputError } from '../errors'
import { ChunkRuns, ChunkRunsBuilder } from '../map/chunk-runs'
import { RunKinds } from '../map/run-kinds'
import { SECTOR_BYTES } from '../units'
import { KIND_LEFT_ONLY, THIN_DELTA_KINDS, ThinDeltaKind } from './thin-delta-ranges'
import { ThinDelta } from './thin-delta-xml'

export interface ThinDeltaKindTotal {
  /** Ranges of this kind, as thin_delta merged them. */
  ranges: number
  blocks: number
  /** Clamped to the snapshot's size. */
  bytes: number
}

export interface ThinDeltaRuns {
  /**
   * Every range of every kind, ascending, touching ranges of one kind merged
   * (ranges of two kinds may touch); chunk size = the pool's block size, the
   * last run clamped to the snapshot.
   */
  runs: ChunkRuns
  /** The kind of each run of `runs`. */
  kinds: RunKinds
  totals: Record<ThinDeltaKind, ThinDeltaKindTotal>
}

// ChunkRuns counts a run's length in 32-bit chunks.
const MAX_RUN_BLOCKS = 0xffffffff

/** The byte runs of `delta` on a snapshot of `snapshotSizeBytes`; a range past the snapshot's end is refused. */
export function thinDeltaRuns(delta: ThinDelta, snapshotSizeBytes: number): ThinDeltaRuns {
  if (!Number.isSafeInteger(snapshotSizeBytes) || snapshotSizeBytes < 0) {
    throw new InvalidInputError(`${delta.source}: expected the snapshot's size as a whole number of bytes, got ${snapshotSizeBytes}`)
  }
  const blockBytes = delta.dataBlockSizeSectors * SECTOR_BYTES
  const snapshotBlocks = Math.ceil(snapshotSizeBytes / blockBytes)
  const all = new RunCollector(blockBytes, snapshotSizeBytes)
  const totals = Object.fromEntries(THIN_DELTA_KINDS.map((k) => [k, { ranges: 0, blocks: 0, bytes: 0 }])) as Record<ThinDeltaKind, ThinDeltaKindTotal>
  for (let i = 0; i < delta.count; i++) {
    const begin = delta.beginBlocks[i]
    const length = delta.lengthBlocks[i]
    const kind = delta.kinds[i]
    if (begin + length > snapshotBlocks) {
      throw new InvalidInputError(
        `${delta.source}: thin_delta reports a ${THIN_DELTA_KINDS[kind]} range at blocks ${begin}..${begin + length - 1} of ${blockBytes} bytes, ` +
          `past the end of the snapshot (${snapshotSizeBytes} bytes, ${snapshotBlocks} blocks): expected every range within the snapshot`,
      )
    }
    const total = totals[THIN_DELTA_KINDS[kind]]
    total.ranges++
    total.blocks += length
    total.bytes += Math.min((begin + length) * blockBytes, snapshotSizeBytes) - begin * blockBytes
    all.add(begin, length, kind)
  }
  const runs = all.build()
  return { runs, kinds: { names: THIN_DELTA_KINDS, codes: all.kinds(), zeroCode: KIND_LEFT_ONLY }, totals }
}

// Merges touching block ranges of one kind (given ascending) into ChunkRuns, with the kind of each run.
class RunCollector {
  private readonly builder: ChunkRunsBuilder
  private begin = 0
  private end = 0
  private kind = 0
  private codes = new Uint8Array(1024)
  private count = 0

  constructor(
    private readonly blockBytes: number,
    deviceSizeBytes: number,
  ) {
    this.builder = new ChunkRunsBuilder(blockBytes, deviceSizeBytes)
  }

  add(beginBlocks: number, lengthBlocks: number, kind: number): void {
    if (this.end === beginBlocks && this.end > this.begin && kind === this.kind) {
      this.end += lengthBlocks
      return
    }
    this.flush()
    this.begin = beginBlocks
    this.end = beginBlocks + lengthBlocks
    this.kind = kind
  }

  /** The kind of each run built (after build). */
  kinds(): Uint8Array {
    return this.codes.slice(0, this.count)
  }

  build(): ChunkRuns {
    this.flush()
    return this.builder.build()
  }

  private flush(): void {
    for (let at = this.begin; at < this.end; at += MAX_RUN_BLOCKS) {
      this.builder.add(at * this.blockBytes, Math.min(MAX_RUN_BLOCKS, this.end - at) * this.blockBytes)
      if (this.count === this.codes.length) {
        const grown = new Uint8Array(this.count * 2)
        grown.set(this.codes)
        this.codes = grown
      }
      this.codes[this.count++] = this.kind
    }
    this.begin = this.end
  }
}
