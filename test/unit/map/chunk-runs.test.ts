import { buildChunkRuns, chunkRunsFromByteRanges } from '../../../src/map/chunk-runs'

function runsFrom(chunks: number[], chunkBytes = 4096, deviceBytes = 1 << 30) {
  return buildChunkRuns(Float64Array.from(chunks), chunks.length, chunkBytes, deviceBytes)
}

test('merges adjacent and duplicate chunks in any order', () => {
  const runs = runsFrom([5, 1, 2, 2, 3, 9, 8, 1])
  expect(runs.count).toBe(3)
  expect([runs.offsetBytes(0), runs.lengthBytes(0)]).toEqual([4096, 3 * 4096])
  expect([runs.offsetBytes(1), runs.lengthBytes(1)]).toEqual([5 * 4096, 4096])
  expect([runs.offsetBytes(2), runs.lengthBytes(2)]).toEqual([8 * 4096, 2 * 4096])
  expect(runs.changedChunks).toBe(6)
})

test('binary search from an offset to its run', () => {
  const runs = runsFrom([1, 2, 5, 8, 9])
  expect(runs.findRun(0)).toBe(-1)
  expect(runs.findRun(4096)).toBe(0)
  expect(runs.findRun(3 * 4096 - 1)).toBe(0)
  expect(runs.findRun(3 * 4096)).toBe(-1)
  expect(runs.findRun(5 * 4096 + 100)).toBe(1)
  expect(runs.findRun(10 * 4096 - 1)).toBe(2)
  expect(runs.findRun(10 * 4096)).toBe(-1)
  expect(runs.firstRunEndingAfter(3 * 4096)).toBe(1)
  expect(runs.firstRunEndingAfter(10 * 4096)).toBe(3)
  expect(runs.runStartingAt(8 * 4096)).toBe(2)
  expect(runs.runStartingAt(9 * 4096)).toBe(-1)
})

test('chunk indices beyond 2^32 stay exact', () => {
  const big = 2 ** 40 + 3
  const runs = runsFrom([big, big + 1], 4096, 2 ** 60)
  expect(runs.offsetBytes(0)).toBe(big * 4096)
  expect(runs.lengthBytes(0)).toBe(8192)
})

test('byte ranges from a parsed chunks.map give the same runs, partial last chunk included', () => {
  const device = 10 * 4096 + 512
  const fromChunks = runsFrom([0, 1, 10], 4096, device)
  const fromText = chunkRunsFromByteRanges(4096, device, [
    [0, 8192],
    [40960, 512],
  ])
  expect(fromText.count).toBe(fromChunks.count)
  for (let i = 0; i < fromText.count; i++) {
    expect(fromText.offsetBytes(i)).toBe(fromChunks.offsetBytes(i))
    expect(fromText.lengthBytes(i)).toBe(fromChunks.lengthBytes(i))
  }
  expect(fromText.changedBytes).toBe(8192 + 512)
})
