// Decimal numbers written as ASCII straight into a byte buffer: a map of ten
// million runs is twenty million numbers, and a string per number (a template
// literal, then an encode) cost more than reading the table itself.

const ZERO = 0x30
const HALF = 1e8

/** Digits of a safe non-negative integer (at most 16: 2^53 has 16). */
export function decimalDigits(value: number): number {
  return value < HALF ? digitsBelowHalf(value) : 8 + digitsBelowHalf(Math.floor(value / HALF))
}

function digitsBelowHalf(value: number): number {
  if (value < 1e4) return value < 100 ? (value < 10 ? 1 : 2) : value < 1000 ? 3 : 4
  return value < 1e6 ? (value < 1e5 ? 5 : 6) : value < 1e7 ? 7 : 8
}

// "00" to "99": two digits per division halve the divisions.
const PAIRS = new Uint8Array(200)
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = ZERO + Math.floor(i / 10)
  PAIRS[2 * i + 1] = ZERO + (i % 10)
}

/** Writes `value` (a safe non-negative integer) in decimal at `buf[pos]`; returns the position after it. */
export function writeDecimal(buf: Uint8Array, pos: number, value: number): number {
  const end = pos + decimalDigits(value)
  let at = end
  // Below 2^53: the low 8 digits, then the rest, each a 32-bit integer, so V8 never divides doubles.
  if (value >= HALF) {
    const high = Math.floor(value / HALF)
    let low = (value - high * HALF) | 0
    for (let i = 0; i < 4; i++) {
      const quotient = (low / 100) | 0
      const pair = 2 * (low - quotient * 100)
      buf[--at] = PAIRS[pair + 1]
      buf[--at] = PAIRS[pair]
      low = quotient
    }
    value = high
  }
  let rest = value | 0
  while (rest >= 100) {
    const quotient = (rest / 100) | 0
    const pair = 2 * (rest - quotient * 100)
    buf[--at] = PAIRS[pair + 1]
    buf[--at] = PAIRS[pair]
    rest = quotient
  }
  if (rest >= 10) {
    buf[--at] = PAIRS[2 * rest + 1]
    buf[--at] = PAIRS[2 * rest]
  } else {
    buf[--at] = ZERO + rest
  }
  return end
}
