// Where the old snapshot's content of each changed chunk sits in its COW:
// the exception table's (old_chunk, new_chunk) pairs sorted by old chunk, as
// two typed arrays (volumes have millions of exceptions), searched by bisection.
import { ChunkIndexArray } from '../map/sort-chunks'
import { InvalidInputError } from '../errors'

export interface OldChunkMap {
  readonly chunkSizeBytes: number
  /** Old (origin) chunk indices, ascending, no duplicates. */
  readonly oldChunks: ChunkIndexArray
  /** cowChunks[i]: the COW chunk holding old chunk oldChunks[i]. */
  readonly cowChunks: ChunkIndexArray
}

const RADIX_BITS = 16
const RADIX_MASK = (1 << RADIX_BITS) - 1

/**
 * Sorts the pairs (oldChunks[i], newChunks[i]) by old chunk; refuses an old
 * chunk listed twice: the kernel saves a chunk once, so a second entry means
 * a corrupt table, and either saved copy could be the wrong one.
 */
export function buildOldChunkMap(
  oldChunks: ChunkIndexArray,
  newChunks: ChunkIndexArray,
  chunkSizeBytes: number,
  source: string,
): OldChunkMap {
  const n = oldChunks.length
  const order = sortedOrder(oldChunks)
  const olds = oldChunks instanceof Uint32Array ? new Uint32Array(n) : new Float64Array(n)
  const cows = newChunks instanceof Uint32Array ? new Uint32Array(n) : new Float64Array(n)
  for (let i = 0; i < n; i++) {
    olds[i] = oldChunks[order[i]]
    cows[i] = newChunks[order[i]]
    if (i > 0 && olds[i] === olds[i - 1]) {
      throw new InvalidInputError(
        `${source}: old chunk ${olds[i]} is listed twice (saved at COW chunks ${cows[i - 1]} and ${cows[i]}): the exception table is corrupt`,
      )
    }
  }
  return { chunkSizeBytes, oldChunks: olds, cowChunks: cows }
}

/** Index of the first entry whose old chunk is >= `chunk` (length when none). */
export function lowerBound(map: OldChunkMap, chunk: number): number {
  let lo = 0
  let hi = map.oldChunks.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (map.oldChunks[mid] < chunk) lo = mid + 1
    else hi = mid
  }
  return lo
}

// The permutation that sorts `keys`: an LSD radix sort of indices for 32-bit
// keys (the built-in sort with a comparator is several times slower at
// millions of entries), the comparator only past 2^32 chunks.
function sortedOrder(keys: ChunkIndexArray): Uint32Array {
  const n = keys.length
  let from = new Uint32Array(n)
  for (let i = 0; i < n; i++) from[i] = i
  if (keys instanceof Float64Array) return from.sort((a, b) => keys[a] - keys[b])
  let to = new Uint32Array(n)
  const counts = new Uint32Array(1 << RADIX_BITS)
  for (let shift = 0; shift < 32; shift += RADIX_BITS) {
    counts.fill(0)
    for (let i = 0; i < n; i++) counts[(keys[i] >>> shift) & RADIX_MASK]++
    let sum = 0
    for (let d = 0; d <= RADIX_MASK; d++) {
      const c = counts[d]
      counts[d] = sum
      sum += c
    }
    // Stable: equal digits keep the order of the previous pass.
    for (let i = 0; i < n; i++) {
      const index = from[i]
      to[counts[(keys[index] >>> shift) & RADIX_MASK]++] = index
    }
    const swap = from
    from = to
    to = swap
  }
  return from
}
