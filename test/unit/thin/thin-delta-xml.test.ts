import { readFileSync } from 'fs'
import { InvalidInputError } from '../../../src/errors'
import { THIN_DELTA_KINDS } from '../../../src/thin/thin-delta-ranges'
import { MAX_LINE_BYTES, parseThinDelta, ThinDelta, ThinDeltaParser } from '../../../src/thin/thin-delta-xml'
import { toThinId } from '../../../src/thin/thin-id'
import { thinFixtureFile, thinFixtureMeta, thinFixtureNames } from '../../helpers/thin-fixtures'

const ids = (left: number, right: number, source = 'test input') => ({ source, left: toThinId(left, 'left'), right: toThinId(right, 'right') })

/** [kind, offset, length] in bytes, as meta.json's changed_ranges_bytes. */
function byteRanges(delta: ThinDelta): Array<[string, number, number]> {
  const blockBytes = delta.dataBlockSizeSectors * 512
  return Array.from({ length: delta.count }, (_, i) => [THIN_DELTA_KINDS[delta.kinds[i]], delta.beginBlocks[i] * blockBytes, delta.lengthBlocks[i] * blockBytes])
}

const pairs = thinFixtureNames().flatMap((name) => thinFixtureMeta(name).pairs.map((pair) => ({ name, pair, label: `${name} ${pair.delta_file}` })))

describe('parseThinDelta on the real-kernel fixtures', () => {
  it('has both scenarios and three pairs each', () => {
    expect(pairs).toHaveLength(6)
  })

  it.each(pairs)('$label: the changed ranges in bytes equal meta.json (plain and --verbose)', ({ name, pair }) => {
    const meta = thinFixtureMeta(name)
    for (const file of [pair.delta_file, pair.delta_file.replace('.xml', '-verbose.xml')]) {
      const delta = parseThinDelta(readFileSync(thinFixtureFile(name, file)), ids(pair.left_thin_id, pair.right_thin_id, file))
      expect(delta.dataBlockSizeSectors).toBe(meta.data_block_size_sectors)
      expect(byteRanges(delta)).toEqual(pair.changed_ranges_bytes)
      for (const [code, kind] of THIN_DELTA_KINDS.entries()) {
        const blocks = Array.from(delta.kinds).reduce((sum, k, i) => sum + (k === code ? delta.lengthBlocks[i] : 0), 0)
        expect(blocks).toBe(pair.thin_delta_counts_blocks[kind])
      }
    }
  })

  it.each(pairs)('$label: pieces of any size give the same ranges', ({ name, pair }) => {
    const text = readFileSync(thinFixtureFile(name, pair.delta_file.replace('.xml', '-verbose.xml')))
    const whole = parseThinDelta(text, ids(pair.left_thin_id, pair.right_thin_id))
    for (const size of [1, 7, 100]) {
      const parser = new ThinDeltaParser(ids(pair.left_thin_id, pair.right_thin_id))
      for (let at = 0; at < text.length; at += size) parser.push(text.subarray(at, at + size))
      expect(byteRanges(parser.end())).toEqual(byteRanges(whole))
    }
  })
})

const HEAD = '<superblock uuid="" time="3" transaction="4" data_block_size="128" nr_data_blocks="0">\n  <diff left="2" right="3">\n'
const TAIL = '  </diff>\n</superblock>\n'
const doc = (...lines: string[]) => HEAD + lines.map((l) => `    ${l}\n`).join('') + TAIL
const parse = (text: string, left = 2, right = 3) => parseThinDelta(text, ids(left, right, 'thin_delta of /dev/mapper/vg-pool_tmeta'))

describe('parseThinDelta', () => {
  it('drops same ranges and merges touching ranges of one kind, never of two', () => {
    const delta = parse(
      doc('<same begin="0" length="4"/>', '<different begin="4" length="1"/>', '<different begin="5" length="2"/>', '<left_only begin="7" length="1"/>', '<right_only begin="9" length="1"/>'),
    )
    expect(byteRanges(delta).map(([k, o, l]) => [k, o / 65536, l / 65536])).toEqual([
      ['different', 4, 3],
      ['left_only', 7, 1],
      ['right_only', 9, 1],
    ])
  })

  it('takes an empty diff, extra superblock attributes (metadata_snap of a held copy) and blank lines', () => {
    const text = '<superblock uuid="" time="3" transaction="4" data_block_size="128" nr_data_blocks="1024" metadata_snap="266">\n\n<diff left="2" right="3">\n</diff>\n</superblock>'
    expect(parse(text).count).toBe(0)
  })

  it('keeps counts exact past 2^32 blocks', () => {
    const delta = parse(doc(`<right_only begin="${2 ** 40}" length="${2 ** 33}"/>`))
    expect([delta.beginBlocks[0], delta.lengthBlocks[0]]).toEqual([2 ** 40, 2 ** 33])
  })
})

describe('parseThinDelta refuses what thin_delta would not print', () => {
  const refusals: Array<[string, string, RegExp]> = [
    ['ranges out of order', doc('<different begin="10" length="1"/>', '<left_only begin="5" length="1"/>'), /line 4 .*starting at block 5, before the end of the previous one \(11\)/],
    ['overlapping ranges', doc('<same begin="0" length="10"/>', '<different begin="9" length="2"/>'), /starting at block 9, before the end of the previous one \(10\).*ascending and not overlap/],
    ['a range of length 0', doc('<different begin="1" length="0"/>'), /a range of length 0/],
    ['a number past 2^53', doc('<different begin="9007199254740993" length="1"/>'), /begin="9007199254740993", which is not a whole number below 2\^53/],
    ['a range ending past 2^53', doc('<different begin="9007199254740990" length="9"/>'), /ending past 2\^53/],
    ['a negative number', doc('<different begin="-1" length="1"/>'), /begin="-1", which is not a whole number/],
    ['a number in another notation', doc('<different begin="1e3" length="1"/>'), /begin="1e3"/],
    ['a range without length', doc('<different begin="1"/>'), /no length attribute/],
    ['an attribute twice', doc('<different begin="1" begin="2" length="1"/>'), /the attribute begin twice/],
    ['an unknown kind', doc('<moved begin="1" length="1"/>'), /unexpected element.*expected a range/],
    ['a prototype name as kind', doc('<constructor begin="1" length="1"/>'), /unexpected element/],
    ['no superblock', '<diff left="2" right="3">\n</diff>\n', /line 1 .*expected <superblock/],
    ['no diff', '<superblock data_block_size="128">\n</superblock>\n', /line 2 .*expected <diff left="A" right="B">/],
    ['empty output', '', /the output ends early; expected <superblock/],
    ['truncated output', HEAD + '    <different begin="1" length="1"/>\n', /line 4 .*ends early; expected a range .* or <\/diff>/],
    ['a second diff', HEAD + '  </diff>\n  <diff left="2" right="3">\n</superblock>\n', /expected <\/superblock>/],
    ['anything after </superblock>', doc() + '<superblock data_block_size="128">\n', /expected nothing after <\/superblock>/],
    ['data_block_size 0', doc().replace('data_block_size="128"', 'data_block_size="0"'), /data_block_size 0, which is not a positive multiple of 8 sectors/],
    ['data_block_size not a multiple of 8 sectors', doc().replace('data_block_size="128"', 'data_block_size="100"'), /data_block_size 100, which is not a positive multiple of 8 sectors/],
    ['no data_block_size', doc().replace(' data_block_size="128"', ''), /no data_block_size attribute/],
    ['the wrong left id', doc().replace('left="2"', 'left="4"'), /a delta between thin ids 4 and 3, not the 2 and 3 asked for/],
    ['the wrong right id', doc().replace('right="3"', 'right="2"'), /a delta between thin ids 2 and 2, not the 2 and 3 asked for/],
    ['text that is not an element', doc('hello'), /not one thin_delta element: `hello`/],
    ['a --verbose range outside a block', doc('<range begin="1" length="1"/>'), /unexpected element/],
    ['a --verbose block closed by another kind', doc('<different>', '<range begin="1" length="1"/>', '</left_only>'), /unexpected element.*expected <range/],
    ['non-ASCII digits', doc('<different begin="١" length="1"/>'), /begin="١", which is not a whole number/],
    ['non-ASCII names', doc('<différent begin="1" length="1"/>'), /not one thin_delta element/],
  ]

  it.each(refusals)('%s', (_label, text, message) => {
    let error: unknown
    try {
      parse(text)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(InvalidInputError)
    expect((error as Error).message).toMatch(/^thin_delta of \/dev\/mapper\/vg-pool_tmeta, line \d+ of the thin_delta output: /)
    expect((error as Error).message).toMatch(message)
  })

  // The range lines among them pass the fast path's reader first: its refusals must fall back to the same messages.
  it.each(refusals)('%s, given as bytes one at a time', (_label, text, message) => {
    const parser = new ThinDeltaParser(ids(2, 3, 'thin_delta of /dev/mapper/vg-pool_tmeta'))
    const bytes = Buffer.from(text, 'utf8')
    expect(() => {
      for (let at = 0; at < bytes.length; at++) parser.push(bytes.subarray(at, at + 1))
      parser.end()
    }).toThrow(message)
  })

  it('refuses blanks outside ASCII, which thin_delta never prints', () => {
    expect(() => parse(doc('\u00a0<different begin="1" length="1"/>'))).toThrow(/not one thin_delta element/)
    expect(() => parse(doc('<different\u00a0begin="1" length="1"/>'))).toThrow(/not one thin_delta element/)
    const rawByte = Buffer.concat([Buffer.from(HEAD), Buffer.from([0xa0]), Buffer.from('<different begin="1" length="1"/>\n' + TAIL)])
    expect(() => parseThinDelta(rawByte, ids(2, 3))).toThrow(/line 3 .*not one thin_delta element/)
  })

  it('refuses a range line longer than the cap even when only its indentation is long', () => {
    expect(() => parse(doc(`${' '.repeat(MAX_LINE_BYTES)}<different begin="1" length="1"/>`))).toThrow(/a line longer than 4096 bytes/)
  })

  it('refuses a line longer than the cap while it is still arriving, holding no more than the cap', () => {
    const parser = new ThinDeltaParser(ids(2, 3))
    parser.push(HEAD)
    const piece = Buffer.alloc(1024, 'x')
    let pushed = 0
    expect(() => {
      for (; pushed < 100; pushed++) parser.push(piece)
    }).toThrow(new RegExp(`line 3 of the thin_delta output: a line longer than ${MAX_LINE_BYTES} bytes`))
    expect(pushed).toBeLessThanOrEqual(MAX_LINE_BYTES / 1024)
  })

  it('refuses a long line given whole', () => {
    expect(() => parse(doc(`<different begin="1" length="1"/>${' '.repeat(MAX_LINE_BYTES)}`))).toThrow(/a line longer than 4096 bytes/)
  })
})
