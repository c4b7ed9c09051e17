// thin_delta's XML (thin-provisioning-tools 0.9.0, thin_delta.cc), read one
// line at a time into typed arrays: a delta of millions of ranges must cost
// bytes per range, not an object each. Plain form:
//   <superblock uuid="" time="3" transaction="4" data_block_size="128" nr_data_blocks="0">
//     <diff left="2" right="3">
//       <different begin="40" length="1"/>      (also left_only, right_only, same)
//     </diff>
//   </superblock>
// --verbose wraps <range begin=".." ... length=".."/> lines in <different>...</different>
// blocks. `same` ranges are checked for order, then dropped (0.9.0 prints them
// even without --verbose). Anything else is refused: a truncated or foreign
// output must never pass for a small delta.
import { InvalidInputError } from '../errors'
import { ThinId } from './thin-id'
import { KIND_DIFFERENT, KIND_LEFT_ONLY, KIND_RIGHT_ONLY, ThinDeltaRanges, ThinDeltaRangesBuilder } from './thin-delta-ranges'
import { NAME_RANGE, RANGE_LINE_NAMES, RangeLineReader } from './thin-delta-range-line'

// Checked for order, never stored.
const KIND_SAME = 3
const KIND_CODES = new Map([['different', KIND_DIFFERENT], ['left_only', KIND_LEFT_ONLY], ['right_only', KIND_RIGHT_ONLY], ['same', KIND_SAME]])

/** The changed ranges of one thin_delta run, in pool blocks (`same` ranges dropped). */
export interface ThinDelta extends ThinDeltaRanges {
  source: string
  left: ThinId
  right: ThinId
  dataBlockSizeSectors: number
}

/** What the caller asked thin_delta for: the output must say the same. `source` names the input in messages. */
export interface ThinDeltaRequestIds {
  source: string
  left: ThinId
  right: ThinId
}

/** thin_delta's lines are under 150 bytes; a longer one is not its output, and must not grow memory. */
export const MAX_LINE_BYTES = 4096
// dm-thin's pool block size is a multiple of 64 KiB; the check below is the looser one the rest of snapdelta needs.
const BLOCK_SIZE_MULTIPLE_SECTORS = 8

type State = 'superblock' | 'diff' | 'ranges' | 'block' | 'diff-closed' | 'done'
const EXPECTED: Record<State, string> = {
  superblock: '<superblock ... data_block_size="N" ...>',
  diff: '<diff left="A" right="B">',
  ranges: 'a range (<different|left_only|right_only|same begin="N" length="N"/>), a --verbose block or </diff>',
  block: '<range begin="N" ... length="N"/> or the end of the block',
  'diff-closed': '</superblock>',
  done: 'nothing after </superblock>',
}

// One element per line: <name attr="value" ...>, <name .../> or </name>; blanks are ASCII (see EDGE_BLANKS).
const ELEMENT = /^<(\/?)([a-z_]+)((?:[\t\v\f\r ]+[a-z_]+="[^"<>&]*")*)[\t\v\f\r ]*(\/?)>$/
const ATTRIBUTE = /([a-z_]+)="([^"]*)"/g
// ASCII blanks only: a byte outside ASCII is never part of thin_delta's output, wherever it is.
const EDGE_BLANKS = /^[\t\v\f\r ]+|[\t\v\f\r ]+$/g
const NEWLINE = 0x0a
const NOTHING: Buffer = Buffer.alloc(0)
// The kind of each name of RANGE_LINE_NAMES but `range`, whose kind is its block's.
const NAME_KINDS = RANGE_LINE_NAMES.map((name) => KIND_CODES.get(name))

/** Parses thin_delta output pushed in pieces of any size; end() checks it was complete. */
export class ThinDeltaParser {
  private state: State = 'superblock'
  /** The start of a line whose end has not arrived yet, at most MAX_LINE_BYTES. */
  private partial: Buffer = NOTHING
  private line = 0
  private blockKind = -1
  private blockName = ''
  private dataBlockSizeSectors = 0
  private endBlocks = 0
  private readonly ranges = new ThinDeltaRangesBuilder()
  private readonly rangeLine = new RangeLineReader()

  constructor(private readonly ids: ThinDeltaRequestIds) {}

  /** Consumes a piece of the output. */
  push(chunk: Buffer | string): void {
    // Lines are cut as bytes, so a piece may end anywhere, even inside a character.
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
    let start = 0
    if (this.partial.length > 0) {
      const nl = bytes.indexOf(NEWLINE)
      if (nl < 0) return this.hold(Buffer.concat([this.partial, bytes]))
      this.lines(Buffer.concat([this.partial, bytes.subarray(0, nl + 1)]), 0)
      start = nl + 1
    }
    // A copy: the caller may reuse its buffer.
    this.hold(Buffer.from(bytes.subarray(this.lines(bytes, start))))
  }

  /** The ranges, once the whole output was pushed. */
  end(): ThinDelta {
    const rest = this.partial
    this.partial = NOTHING
    if (rest.length > 0) this.take(rest, 0, rest.length)
    if (this.state !== 'done') this.fail(this.line + 1, 'the output ends early', '', this.state)
    return { ...this.ids, dataBlockSizeSectors: this.dataBlockSizeSectors, ...this.ranges.build() }
  }

  // Takes every whole line from `start`, range lines on the fast path; returns where the unfinished rest begins.
  private lines(bytes: Buffer, start: number): number {
    for (;;) {
      const end = this.rangeLine.read(bytes, start)
      if (end >= 0 && this.fastRange(end - 1 - start)) {
        start = end
        continue
      }
      const nl = bytes.indexOf(NEWLINE, start)
      if (nl < 0) return start
      this.take(bytes, start, nl)
      start = nl + 1
    }
  }

  private hold(rest: Buffer): void {
    this.partial = rest
    if (rest.length > MAX_LINE_BYTES) this.fail(this.line + 1, `a line longer than ${MAX_LINE_BYTES} bytes`, rest.toString('utf8', 0, 200))
  }

  // The general path: any line, parsed as an element, with a message for whatever is wrong.
  private take(bytes: Buffer, start: number, end: number): void {
    const lineNo = ++this.line
    if (end - start > MAX_LINE_BYTES) this.fail(lineNo, `a line longer than ${MAX_LINE_BYTES} bytes`, bytes.toString('utf8', start, start + 200))
    const text = bytes.toString('utf8', start, end).replace(EDGE_BLANKS, '')
    if (text === '') return
    const m = ELEMENT.exec(text)
    if (!m) this.fail(lineNo, 'a line that is not one thin_delta element', text)
    const [, closing, name, attrText, selfClosing] = m
    if (closing && (attrText || selfClosing)) this.fail(lineNo, 'a malformed closing tag', text)
    const tag = closing ? `/${name}` : selfClosing ? `${name}/` : name
    switch (this.state) {
      case 'superblock':
        if (tag !== 'superblock') break
        this.dataBlockSizeSectors = this.blockSize(lineNo, text, this.attributes(lineNo, attrText))
        this.state = 'diff'
        return
      case 'diff':
        if (tag !== 'diff') break
        this.checkIds(lineNo, text, this.attributes(lineNo, attrText))
        this.state = 'ranges'
        return
      case 'ranges': {
        if (tag === '/diff') {
          this.state = 'diff-closed'
          return
        }
        const kind = KIND_CODES.get(name)
        if (kind === undefined || closing || (!selfClosing && attrText)) break
        if (selfClosing) this.range(lineNo, text, kind, this.attributes(lineNo, attrText))
        else {
          this.state = 'block'
          this.blockKind = kind
          this.blockName = name
        }
        return
      }
      case 'block':
        if (tag === 'range/') this.range(lineNo, text, this.blockKind, this.attributes(lineNo, attrText))
        else if (tag === `/${this.blockName}`) this.state = 'ranges'
        else break
        return
      case 'diff-closed':
        if (tag !== '/superblock') break
        this.state = 'done'
        return
      case 'done':
        break
    }
    this.fail(lineNo, 'an unexpected element', text, this.state)
  }

  // The range line just read, when the state expects it and it is valid; false leaves it to the general path (and its message).
  private fastRange(lineBytes: number): boolean {
    const { name, beginBlocks: begin, lengthBlocks: length } = this.rangeLine
    let kind: number | undefined
    if (this.state === 'block' && name === NAME_RANGE) kind = this.blockKind
    else if (this.state === 'ranges' && name !== NAME_RANGE) kind = NAME_KINDS[name]
    if (kind === undefined || lineBytes > MAX_LINE_BYTES) return false
    if (!Number.isSafeInteger(begin) || length === 0 || !Number.isSafeInteger(begin + length) || begin < this.endBlocks) return false
    this.line++
    this.endBlocks = begin + length
    if (kind !== KIND_SAME) this.ranges.add(begin, length, kind)
    return true
  }

  private blockSize(lineNo: number, text: string, attrs: Map<string, string>): number {
    const sectors = this.number(lineNo, text, attrs, 'data_block_size')
    if (sectors === 0 || sectors % BLOCK_SIZE_MULTIPLE_SECTORS !== 0) {
      this.fail(lineNo, `data_block_size ${sectors}, which is not a positive multiple of ${BLOCK_SIZE_MULTIPLE_SECTORS} sectors (4 KiB)`, text)
    }
    return sectors
  }

  private checkIds(lineNo: number, text: string, attrs: Map<string, string>): void {
    const left = this.number(lineNo, text, attrs, 'left')
    const right = this.number(lineNo, text, attrs, 'right')
    if (left !== this.ids.left || right !== this.ids.right) {
      this.fail(lineNo, `a delta between thin ids ${left} and ${right}, not the ${this.ids.left} and ${this.ids.right} asked for`, text)
    }
  }

  private range(lineNo: number, text: string, kind: number, attrs: Map<string, string>): void {
    this.addRange(lineNo, text, kind, this.number(lineNo, text, attrs, 'begin'), this.number(lineNo, text, attrs, 'length'))
  }

  private addRange(lineNo: number, text: string, kind: number, begin: number, length: number): void {
    if (length === 0) this.fail(lineNo, 'a range of length 0', text)
    const end = begin + length
    if (!Number.isSafeInteger(end)) this.fail(lineNo, 'a range ending past 2^53 blocks', text)
    if (begin < this.endBlocks) this.fail(lineNo, `a range starting at block ${begin}, before the end of the previous one (${this.endBlocks}): ranges must be ascending and not overlap`, text)
    this.endBlocks = end
    if (kind !== KIND_SAME) this.ranges.add(begin, length, kind)
  }

  private number(lineNo: number, text: string, attrs: Map<string, string>, key: string): number {
    const value = attrs.get(key)
    if (value === undefined) this.fail(lineNo, `no ${key} attribute`, text)
    return this.safeNumber(lineNo, text, key, value)
  }

  private safeNumber(lineNo: number, text: string, key: string, value: string): number {
    const n = /^\d{1,16}$/.test(value) ? Number(value) : NaN
    if (!Number.isSafeInteger(n)) this.fail(lineNo, `${key}="${value.slice(0, 40)}", which is not a whole number below 2^53`, text)
    return n
  }

  private attributes(lineNo: number, text: string): Map<string, string> {
    const attrs = new Map<string, string>()
    for (const m of text.matchAll(ATTRIBUTE)) {
      if (attrs.has(m[1])) this.fail(lineNo, `the attribute ${m[1]} twice`, text.trim())
      attrs.set(m[1], m[2])
    }
    return attrs
  }

  // An InvalidInputError naming the input, the line, what was wrong and what was expected.
  private fail(lineNo: number, what: string, line: string, state?: State): never {
    const text = line.trim()
    const got = text === '' ? '' : `: \`${text.length > 100 ? `${text.slice(0, 100)}...` : text}\``
    const expected = state ? `; expected ${EXPECTED[state]}` : ''
    throw new InvalidInputError(`${this.ids.source}, line ${lineNo} of the thin_delta output: ${what}${got}${expected}`)
  }
}

/** Parses a whole thin_delta output at once (a recorded file). */
export function parseThinDelta(output: Buffer | string, ids: ThinDeltaRequestIds): ThinDelta {
  const parser = new ThinDeltaParser(ids)
  parser.push(output)
  return parser.end()
}
