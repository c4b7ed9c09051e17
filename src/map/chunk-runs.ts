// The changed chunks of a generation as sorted, merged, non-overlapping runs.
// Two typed arrays (8 bytes a run, 12 past 2^32 chunks) instead of an object
// per chunk: volumes have millions of changed chunks.
import { bitmapFits, mergeThroughBitmap } from './chunk-bitmap'
import { ChunkIndexArray, sortChunkIndices } from './sort-chunks'

export class ChunkRuns {
  /** Total bytes covered by the runs, after clamping to the device size. */
  readonly changedBytes: number
  /** Number of distinct changed chunks. */
  readonly changedChunks: number

  constructor(
    readonly chunkSizeBytes: number,
    readonly deviceSizeBytes: number,
    private readonly startChunks: ChunkIndexArray,
    private readonly lengthChunks: Uint32Array,
  ) {
    let chunks = 0
    for (let i = 0; i < lengthChunks.length; i++) chunks += lengthChunks[i]
    this.changedChunks = chunks
    let bytes = chunks * chunkSizeBytes
    const n = startChunks.length
    if (n > 0) bytes -= (startChunks[n - 1] + lengthChunks[n - 1]) * chunkSizeBytes - this.endBytes(n - 1)
    this.changedBytes = bytes
  }

  /** Number of runs. */
  get count(): number {
    return this.startChunks.length
  }

  /** First byte of run i. */
  offsetBytes(i: number): number {
    return this.startChunks[i] * this.chunkSizeBytes
  }

  /** End (exclusive) of run i, clamped to the device: the last chunk may be partial. */
  endBytes(i: number): number {
    return Math.min((this.startChunks[i] + this.lengthChunks[i]) * this.chunkSizeBytes, this.deviceSizeBytes)
  }

  /** Length of run i in bytes. */
  lengthBytes(i: number): number {
    return this.endBytes(i) - this.offsetBytes(i)
  }

  /** Index of the first run that ends after `offsetBytes` (count when none): a binary search. */
  firstRunEndingAfter(offsetBytes: number): number {
    let lo = 0
    let hi = this.startChunks.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.endBytes(mid) <= offsetBytes) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Index of the run containing `offsetBytes`, or -1. */
  findRun(offsetBytes: number): number {
    const i = this.firstRunEndingAfter(offsetBytes)
    return i < this.count && this.offsetBytes(i) <= offsetBytes ? i : -1
  }

  /** Index of the run starting exactly at `offsetBytes`, or -1. */
  runStartingAt(offsetBytes: number): number {
    const i = this.findRun(offsetBytes)
    return i >= 0 && this.offsetBytes(i) === offsetBytes ? i : -1
  }
}

/**
 * Builds runs from chunk indices in any order, duplicates allowed. Consumes
 * `chunks[0..count)`: sorting reuses its memory. Dense tables go through a
 * bitmap (chunk-bitmap.ts), the others through a sort.
 */
export function buildChunkRuns(
  chunks: ChunkIndexArray,
  count: number,
  chunkSizeBytes: number,
  deviceSizeBytes: number,
): ChunkRuns {
  const input = chunks.subarray(0, count)
  let maxChunk = -1
  for (let i = 0; i < count; i++) if (input[i] > maxChunk) maxChunk = input[i]
  if (input instanceof Uint32Array && bitmapFits(count, maxChunk)) {
    const { starts, lengths } = mergeThroughBitmap(input, count, maxChunk)
    return new ChunkRuns(chunkSizeBytes, deviceSizeBytes, starts, lengths)
  }
  const sorted = sortChunkIndices(input)
  const lengths = new Uint32Array(count)
  let runs = 0
  for (let i = 0; i < count; i++) {
    const chunk = sorted[i]
    if (runs > 0) {
      const end = sorted[runs - 1] + lengths[runs - 1]
      if (chunk < end) continue
      if (chunk === end && lengths[runs - 1] < 0xffffffff) {
        lengths[runs - 1]++
        continue
      }
    }
    sorted[runs] = chunk
    lengths[runs] = 1
    runs++
  }
  // Right-sized copies, so the input and scratch arrays can be freed.
  return new ChunkRuns(chunkSizeBytes, deviceSizeBytes, sorted.slice(0, runs), lengths.slice(0, runs))
}

/** Builds runs from byte ranges already sorted and merged (a parsed chunks.map). */
export function chunkRunsFromByteRanges(
  chunkSizeBytes: number,
  deviceSizeBytes: number,
  ranges: ReadonlyArray<readonly [offsetBytes: number, lengthBytes: number]>,
): ChunkRuns {
  const starts = new Float64Array(ranges.length)
  const lengths = new Uint32Array(ranges.length)
  ranges.forEach(([offset, length], i) => {
    starts[i] = offset / chunkSizeBytes
    lengths[i] = Math.ceil(length / chunkSizeBytes)
  })
  return new ChunkRuns(chunkSizeBytes, deviceSizeBytes, starts, lengths)
}

/** Collects sorted, merged byte ranges one at a time into growing typed arrays (no object per run). */
export class ChunkRunsBuilder {
  private starts = new Float64Array(1024)
  private lengths = new Uint32Array(1024)
  private count = 0

  constructor(
    private readonly chunkSizeBytes: number,
    private readonly deviceSizeBytes: number,
  ) {}

  /** Adds the run [offsetBytes, offsetBytes + lengthBytes), after every run added so far. */
  add(offsetBytes: number, lengthBytes: number): void {
    if (this.count === this.starts.length) {
      const starts = new Float64Array(this.count * 2)
      starts.set(this.starts)
      const lengths = new Uint32Array(this.count * 2)
      lengths.set(this.lengths)
      this.starts = starts
      this.lengths = lengths
    }
    this.starts[this.count] = offsetBytes / this.chunkSizeBytes
    this.lengths[this.count] = Math.ceil(lengthBytes / this.chunkSizeBytes)
    this.count++
  }

  /** The runs added. */
  build(): ChunkRuns {
    return new ChunkRuns(this.chunkSizeBytes, this.deviceSizeBytes, this.starts.slice(0, this.count), this.lengths.slice(0, this.count))
  }
}

// ChunkRuns counts a run's length in 32-bit chunks: cut the volume into runs of at most this.
const MAX_RUN_BYTES = 2 ** 40

/** Runs covering every byte of a device of `deviceSizeBytes`. */
export function wholeDeviceRuns(chunkSizeBytes: number, deviceSizeBytes: number): ChunkRuns {
  const ranges: Array<[number, number]> = []
  for (let offset = 0; offset < deviceSizeBytes; offset += MAX_RUN_BYTES) {
    ranges.push([offset, Math.min(MAX_RUN_BYTES, deviceSizeBytes - offset)])
  }
  return chunkRunsFromByteRanges(chunkSizeBytes, deviceSizeBytes, ranges)
}
