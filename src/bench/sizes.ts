// How big each benchmark's inputs are: the sizes, or small ones for
// a smoke run (--quick) that finishes in seconds.
const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB
const TiB = 1024 * GiB

export interface BenchSizes {
  /** Table reading and time to mount: exceptions at 4 KiB chunks, scattered over the origin. */
  tableExceptions: number
  tableOriginBytes: number
  /** Read throughput and many readers: a snapshot of random data. */
  randomSnapshotBytes: number
  /** Incremental copy: snapshot size, the changed fraction, run shape. */
  copySnapshotBytes: number
  copyChangedFraction: number
  copyChunkBytes: number
  copyMaxRunChunks: number
  /** A full copy is timed on at most this much real data, then scaled to the snapshot. */
  fullCopySampleBytes: number
  /** The dd-per-line recipe is timed on at most this many runs, then scaled. */
  ddRecipeMaxRuns: number
  /** changed/ listing: runs, each one 4 KiB chunk. */
  listingRuns: number
  /** Holes read from delta.img and from the bare pass-through. */
  holeReadBytes: number
  /** History: a volume of random data, and how many generations are applied onto its backup with --history. */
  historyVolumeBytes: number
  historyGenerations: number
  /** History: bytes of real files (tar of /usr/lib) compressed to compare with the undo data. */
  compressionSampleBytes: number
  /** Thin map: mappings a device of each daily-changes pool, and of the every-other-block pool (0: none). */
  thinMappings: readonly number[]
  thinAlternatingMappings: number
}

export const FULL_SIZES: BenchSizes = {
  tableExceptions: 10_000_000,
  tableOriginBytes: TiB,
  randomSnapshotBytes: 2 * GiB,
  copySnapshotBytes: 16 * GiB,
  copyChangedFraction: 0.01,
  copyChunkBytes: 64 * KiB,
  copyMaxRunChunks: 16,
  fullCopySampleBytes: 2 * GiB,
  ddRecipeMaxRuns: 400,
  listingRuns: 1_000_000,
  holeReadBytes: GiB,
  historyVolumeBytes: 2 * GiB,
  historyGenerations: 3,
  compressionSampleBytes: 256 * MiB,
  thinMappings: [1_000_000, 4_000_000],
  thinAlternatingMappings: 1_000_000,
}

export const QUICK_SIZES: BenchSizes = {
  tableExceptions: 20_000,
  tableOriginBytes: GiB,
  randomSnapshotBytes: 32 * MiB,
  copySnapshotBytes: 256 * MiB,
  copyChangedFraction: 0.01,
  copyChunkBytes: 64 * KiB,
  copyMaxRunChunks: 16,
  fullCopySampleBytes: 32 * MiB,
  ddRecipeMaxRuns: 20,
  listingRuns: 2_000,
  holeReadBytes: 16 * MiB,
  historyVolumeBytes: 32 * MiB,
  historyGenerations: 3,
  compressionSampleBytes: 8 * MiB,
  thinMappings: [20_000],
  thinAlternatingMappings: 20_000,
}
