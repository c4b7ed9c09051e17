import { bitmapFits, mergeThroughBitmap } from '../../../src/map/chunk-bitmap'
import { buildChunkRuns } from '../../../src/map/chunk-runs'

// The runs of a chunk set, the slow and obvious way.
function expectedRuns(chunks: number[]): Array<[number, number]> {
  const sorted = [...new Set(chunks)].sort((a, b) => a - b)
  const runs: Array<[number, number]> = []
  for (const chunk of sorted) {
    const last = runs[runs.length - 1]
    if (last && last[0] + last[1] === chunk) last[1]++
    else runs.push([chunk, 1])
  }
  return runs
}

function viaBitmap(chunks: number[]): Array<[number, number]> {
  const max = chunks.reduce((a, b) => Math.max(a, b), -1)
  const { starts, lengths } = mergeThroughBitmap(Uint32Array.from(chunks), chunks.length, max)
  expect(lengths.length).toBe(starts.length)
  return Array.from({ length: starts.length }, (_, i) => [starts[i], lengths[i]])
}

// A small deterministic generator, so a failure names its seed.
function random(seed: number): (below: number) => number {
  let state = seed >>> 0 || 1
  return (below) => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) % below
  }
}

test('runs that start, end or continue at 32-bit word edges', () => {
  const cases = [
    [0],
    [31],
    [32],
    [31, 32],
    [0, 1, 2, 30, 31, 32, 33, 63, 64, 95],
    Array.from({ length: 96 }, (_, i) => i),
    Array.from({ length: 64 }, (_, i) => i + 32),
    [...Array.from({ length: 64 }, (_, i) => i), 65, 127],
    [5, 3, 5, 4, 3, 200, 199],
  ]
  for (const chunks of cases) expect(viaBitmap(chunks)).toEqual(expectedRuns(chunks))
})

test('random dense sets in commit order, duplicates included, give the runs a sort gives', () => {
  for (let seed = 1; seed <= 50; seed++) {
    const next = random(seed)
    const span = 1 + next(2000)
    const chunks = Array.from({ length: 1 + next(3000) }, () => next(span))
    expect(viaBitmap(chunks)).toEqual(expectedRuns(chunks))
  }
})

test('the bitmap is used only when it is no larger than the sort scratch, and never past 32-bit chunks', () => {
  expect(bitmapFits(1000, 32_000 - 1)).toBe(true)
  expect(bitmapFits(1000, 32_000)).toBe(false)
  expect(bitmapFits(2 ** 30, 2 ** 32)).toBe(false)
})

test('buildChunkRuns gives the same runs through the bitmap and through the sort', () => {
  const next = random(7)
  const chunks = Array.from({ length: 100_000 }, () => next(3_000_000))
  // Dense: Uint32Array input takes the bitmap; Float64Array input always sorts.
  const dense = buildChunkRuns(Uint32Array.from(chunks), chunks.length, 4096, 2 ** 40)
  const sorted = buildChunkRuns(Float64Array.from(chunks), chunks.length, 4096, 2 ** 40)
  expect(dense.count).toBe(sorted.count)
  expect(dense.changedChunks).toBe(sorted.changedChunks)
  for (let i = 0; i < dense.count; i++) {
    expect(dense.offsetBytes(i)).toBe(sorted.offsetBytes(i))
    expect(dense.lengthBytes(i)).toBe(sorted.lengthBytes(i))
  }
})
