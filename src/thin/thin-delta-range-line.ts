// The fast path of the thin_delta parser: one range line exactly as
// thin_delta prints it, plain or --verbose, read straight from the bytes,
//   / *<(different|left_only|right_only|same|range) begin="(\d{1,16})" ((left_|right_)?data_begin="\d{1,20}" ){0,2}length="(\d{1,16})"\/>\n/
// Nearly every line of a large delta is one. Read as bytes, a line leaves
// nothing for the garbage collector, where the regular expression above left
// a match and four strings: a million lines (1M mappings, every other block
// different) parse in 0.17 s of CPU instead of 0.34 s, fed from a file. Fed
// from thin_delta, the process saves less (0.05 s of CPU, 10 MiB of peak
// memory; docs/benchmarks.md, 2026-12-05): a parser that keeps up reads the
// pipe in more, smaller pieces, and Node's stream code costs per piece.
// Anything else, or a line not yet complete, is left to the parser's general
// path, which reads the same lines and says what is wrong.

/** The element names of a range line; the parser maps them to kinds. */
export const RANGE_LINE_NAMES = ['different', 'left_only', 'right_only', 'same', 'range'] as const
/** Index of `range` (a --verbose line inside a block) in RANGE_LINE_NAMES. */
export const NAME_RANGE = 4

const bytesOf = (texts: readonly string[]) => texts.map((t) => Buffer.from(t, 'latin1'))
const NAME_TOKENS = bytesOf(RANGE_LINE_NAMES.map((n) => `${n} begin="`))
const DATA_TOKENS = bytesOf(['data_begin="', 'left_data_begin="', 'right_data_begin="'])
const [LENGTH_TOKEN, LINE_END_TOKEN] = bytesOf(['length="', '/>\n'])
const SPACE = 0x20
const LESS_THAN = 0x3c
const QUOTE = 0x22
const DIGIT_0 = 0x30

/** Reads range lines; after a successful read(), `name`, `beginBlocks` and `lengthBlocks` describe the line. */
export class RangeLineReader {
  /** Index in RANGE_LINE_NAMES. */
  name = -1
  /** As written: a number past 2^53 is inexact here, and for the caller to refuse (Number.isSafeInteger). */
  beginBlocks = 0
  lengthBlocks = 0
  // The value of the last digits() read.
  private value = 0

  /** Reads the line at `start`; returns the index just past its '\n', or -1 when it is not a whole range line. */
  read(bytes: Uint8Array, start: number): number {
    // Every read is bounds-checked: a typed array read past its end makes V8 drop its optimised code.
    const size = bytes.length
    let at = start
    while (at < size && bytes[at] === SPACE) at++
    if (at === size || bytes[at] !== LESS_THAN) return -1
    let name = 0
    let next = -1
    for (; name < NAME_TOKENS.length && next < 0; name++) next = token(bytes, at + 1, NAME_TOKENS[name])
    if (next < 0) return -1
    at = this.digits(bytes, next, 16)
    const begin = this.value
    if (at < 0 || at === size || bytes[at] !== SPACE) return -1
    at++
    for (let i = 0; i < 2; i++) {
      next = -1
      for (let t = 0; t < DATA_TOKENS.length && next < 0; t++) next = token(bytes, at, DATA_TOKENS[t])
      if (next < 0) break
      at = this.digits(bytes, next, 20)
      if (at < 0 || at === size || bytes[at] !== SPACE) return -1
      at++
    }
    at = token(bytes, at, LENGTH_TOKEN)
    if (at >= 0) at = this.digits(bytes, at, 16)
    if (at >= 0) at = token(bytes, at, LINE_END_TOKEN)
    if (at < 0) return -1
    this.name = name - 1
    this.beginBlocks = begin
    this.lengthBlocks = this.value
    return at
  }

  // 1 to `maxDigits` decimal digits at `at` and the closing quote: the index past it, the number in this.value; -1 when not there.
  private digits(bytes: Uint8Array, at: number, maxDigits: number): number {
    const stop = Math.min(at + maxDigits, bytes.length)
    let end = at
    let value = 0
    // Exact up to 2^53; past it the value rounds to at least 2^53, which the caller refuses.
    for (; end < stop; end++) {
      const digit = bytes[end] - DIGIT_0
      if (digit < 0 || digit > 9) break
      value = value * 10 + digit
    }
    if (end === at || end === bytes.length || bytes[end] !== QUOTE) return -1
    this.value = value
    return end + 1
  }
}

// The index past `expected` when the bytes at `at` are it, else -1.
function token(bytes: Uint8Array, at: number, expected: Uint8Array): number {
  const end = at + expected.length
  if (end > bytes.length) return -1
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return -1
  return end
}
