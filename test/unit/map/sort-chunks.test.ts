import { sortChunkIndices } from '../../../src/map/sort-chunks'

test('radix sort of a large Uint32Array matches the built-in sort', () => {
  const n = 300_000
  const input = new Uint32Array(n)
  let x = 7
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    input[i] = i % 3 === 0 ? x : x & 0xffff
  }
  const expected = Uint32Array.from(input).sort()
  expect(Buffer.from(sortChunkIndices(input).buffer).equals(Buffer.from(expected.buffer))).toBe(true)
})

test('keys sharing their high half skip the pass that would not move them', () => {
  const input = Uint32Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 65536)
  const expected = Uint32Array.from(input).sort()
  expect(Buffer.from(sortChunkIndices(input).buffer).equals(Buffer.from(expected.buffer))).toBe(true)
})

test('doubles are sorted numerically', () => {
  expect(Array.from(sortChunkIndices(Float64Array.from([2 ** 40, 3, 2 ** 33, 10])))).toEqual([3, 10, 2 ** 33, 2 ** 40])
})
