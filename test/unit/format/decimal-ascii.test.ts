import { decimalDigits, writeDecimal } from '../../../src/format/decimal-ascii'
import { chunksMapLineBytes, CHUNKS_MAP_LINE_MAX_BYTES, formatChunksMapLine, writeChunksMapLine } from '../../../src/format/chunks-map-text'

const written = (value: number): string => {
  const buf = Buffer.alloc(20, 0x2a)
  const end = writeDecimal(buf, 2, value)
  expect(buf.subarray(0, 2).toString('latin1')).toBe('**')
  expect(buf[end]).toBe(0x2a)
  return buf.subarray(2, end).toString('latin1')
}

describe('writeDecimal', () => {
  // Every digit count, both sides of each power of ten and of the split at 10^8, and the largest safe integer.
  const edges = [0, 1, 9, 99, 100, 4096, 99_999_999, 100_000_000, 100_000_001, 1_000_000_007, 2 ** 32, 2 ** 40 + 4096, Number.MAX_SAFE_INTEGER]
  for (let p = 1; p <= 15; p++) edges.push(10 ** p - 1, 10 ** p, 10 ** p + 1)

  test.each(edges)('%d is written as String() writes it', (value) => {
    expect(written(value)).toBe(String(value))
    expect(decimalDigits(value)).toBe(String(value).length)
  })

  test('pseudo-random values of every size agree with String()', () => {
    let x = 1
    for (let i = 0; i < 20_000; i++) {
      x = (x * 48271) % 2147483647
      const value = Math.floor((x / 2147483647) * 2 ** (1 + (i % 53)))
      expect(written(value)).toBe(String(value))
    }
  })
})

describe('writeChunksMapLine', () => {
  test('writes the line formatChunksMapLine builds, within the room it promises', () => {
    const buf = Buffer.alloc(CHUNKS_MAP_LINE_MAX_BYTES)
    for (const [offset, length] of [[0, 4096], [2 ** 40 - 4096, 4096], [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]]) {
      const end = writeChunksMapLine(buf, 0, offset, length)
      expect(buf.subarray(0, end).toString('latin1')).toBe(formatChunksMapLine(offset, length))
      expect(end).toBe(chunksMapLineBytes(offset, length))
    }
  })
})
