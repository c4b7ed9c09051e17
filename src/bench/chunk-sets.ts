// Which origin chunks a benchmark input lists: scattered, deterministic, and
// in shuffled commit order, as a busy volume's COW would list them.

/** A deterministic xorshift32 generator returning integers in [0, limit). */
export function seededRandom(seed: number): (limit: number) => number {
  let x = seed >>> 0 || 0x9e3779b9
  return (limit: number) => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    // Two draws give 53 random bits: limits beyond 2^32 (chunks of a TiB volume at 4 KiB) stay uniform.
    const high = x
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return Math.floor(((high >>> 5) * 67108864 + (x >>> 6)) / 9007199254740992 * limit)
  }
}

/**
 * `count` distinct chunks out of `totalChunks`, each drawn at random, in draw
 * order (so commit order is shuffled). A bitmap of the range (one bit per
 * chunk) rejects repeats: 32 MiB for a 1 TiB origin at 4 KiB chunks.
 */
export function scatteredChunks(count: number, totalChunks: number, seed: number): Float64Array {
  if (count > totalChunks / 2) throw new RangeError(`${count} chunks out of ${totalChunks} is too dense to draw at random`)
  const taken = new Uint8Array(Math.ceil(totalChunks / 8))
  const chunks = new Float64Array(count)
  const next = seededRandom(seed)
  let n = 0
  while (n < count) {
    const c = next(totalChunks)
    const bit = 1 << (c & 7)
    if (taken[c >>> 3] & bit) continue
    taken[c >>> 3] |= bit
    chunks[n++] = c
  }
  return chunks
}

/** Chunks 0, `stride`, 2*`stride`, ... (count of them), commit order shuffled: every chunk is its own run. */
export function stridedChunks(count: number, stride: number, seed: number): Float64Array {
  const chunks = new Float64Array(count)
  for (let i = 0; i < count; i++) chunks[i] = i * stride
  return shuffleInPlace(chunks, seed)
}

export interface ByteRun {
  offsetBytes: number
  lengthBytes: number
}

/**
 * Non-overlapping, non-adjacent runs of 1..maxRunChunks chunks of `chunkBytes`,
 * scattered over `deviceBytes`, adding up to about `fraction` of it; sorted by offset.
 */
export function scatteredRuns(deviceBytes: number, chunkBytes: number, fraction: number, maxRunChunks: number, seed: number): ByteRun[] {
  const totalChunks = Math.floor(deviceBytes / chunkBytes)
  const wantedChunks = Math.max(1, Math.round(totalChunks * fraction))
  const next = seededRandom(seed)
  // Slots of (maxRunChunks + 1) chunks: one run per slot at most, so runs never touch.
  const slotChunks = maxRunChunks + 1
  const slots = Math.floor(totalChunks / slotChunks)
  const taken = new Uint8Array(slots)
  const runs: ByteRun[] = []
  let chunks = 0
  while (chunks < wantedChunks) {
    const slot = next(slots)
    if (taken[slot]) continue
    taken[slot] = 1
    const length = Math.min(1 + next(maxRunChunks), wantedChunks - chunks)
    runs.push({ offsetBytes: slot * slotChunks * chunkBytes, lengthBytes: length * chunkBytes })
    chunks += length
  }
  return runs.sort((a, b) => a.offsetBytes - b.offsetBytes)
}

/** The chunks of `runs`, in shuffled commit order. */
export function chunksOfRuns(runs: readonly ByteRun[], chunkBytes: number, seed: number): Float64Array {
  const list: number[] = []
  for (const run of runs) {
    for (let off = run.offsetBytes; off < run.offsetBytes + run.lengthBytes; off += chunkBytes) list.push(off / chunkBytes)
  }
  return shuffleInPlace(Float64Array.from(list), seed)
}

function shuffleInPlace(values: Float64Array, seed: number): Float64Array {
  const next = seededRandom(seed)
  for (let i = values.length - 1; i > 0; i--) {
    const j = next(i + 1)
    const t = values[i]
    values[i] = values[j]
    values[j] = t
  }
  return values
}
