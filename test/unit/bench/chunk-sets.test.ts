import { chunksOfRuns, scatteredChunks, scatteredRuns, seededRandom, stridedChunks } from '../../../src/bench/chunk-sets'

describe('bench chunk sets', () => {
  test('seededRandom is deterministic and stays below its limit, even beyond 2^32', () => {
    const a = seededRandom(5)
    const b = seededRandom(5)
    for (let i = 0; i < 1000; i++) {
      const limit = i % 2 ? 7 : 2 ** 40
      const x = a(limit)
      expect(x).toBe(b(limit))
      expect(x).toBeGreaterThanOrEqual(0)
      expect(x).toBeLessThan(limit)
      expect(Number.isInteger(x)).toBe(true)
    }
  })

  test('scatteredChunks draws distinct chunks in range, not in sorted order', () => {
    const chunks = scatteredChunks(5000, 100_000, 1)
    expect(chunks.length).toBe(5000)
    expect(new Set(chunks).size).toBe(5000)
    expect(Math.max(...chunks)).toBeLessThan(100_000)
    const sorted = Float64Array.from(chunks).sort()
    expect(Array.from(chunks)).not.toEqual(Array.from(sorted))
    expect(Array.from(scatteredChunks(5000, 100_000, 1))).toEqual(Array.from(chunks))
  })

  test('scatteredChunks refuses a density it cannot draw at random', () => {
    expect(() => scatteredChunks(60, 100, 1)).toThrow(RangeError)
  })

  test('stridedChunks gives every chunk its own run, shuffled', () => {
    const chunks = stridedChunks(1000, 2, 3)
    expect(Array.from(Float64Array.from(chunks).sort())).toEqual(Array.from({ length: 1000 }, (_, i) => i * 2))
    expect(chunks[0] === 0 && chunks[1] === 2 && chunks[2] === 4).toBe(false)
  })

  test('scatteredRuns are sorted, never touch, and add up to the fraction', () => {
    const chunkBytes = 65536
    const deviceBytes = 1 << 30
    const runs = scatteredRuns(deviceBytes, chunkBytes, 0.01, 16, 2)
    const total = runs.reduce((sum, r) => sum + r.lengthBytes, 0)
    expect(total).toBe(Math.round((deviceBytes / chunkBytes) * 0.01) * chunkBytes)
    for (let i = 0; i < runs.length; i++) {
      expect(runs[i].lengthBytes % chunkBytes).toBe(0)
      expect(runs[i].lengthBytes).toBeLessThanOrEqual(16 * chunkBytes)
      expect(runs[i].offsetBytes + runs[i].lengthBytes).toBeLessThanOrEqual(deviceBytes)
      if (i > 0) expect(runs[i].offsetBytes).toBeGreaterThan(runs[i - 1].offsetBytes + runs[i - 1].lengthBytes)
    }
    const chunks = chunksOfRuns(runs, chunkBytes, 3)
    expect(chunks.length).toBe(total / chunkBytes)
    expect(new Set(chunks).size).toBe(chunks.length)
  })
})
