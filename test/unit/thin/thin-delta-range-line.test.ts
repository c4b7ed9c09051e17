import { seededRandom } from '../../../src/bench/chunk-sets'
import { NAME_RANGE, RANGE_LINE_NAMES, RangeLineReader } from '../../../src/thin/thin-delta-range-line'

// The line the reader reads, as the regular expression its header gives (and the parser used before it read bytes).
const RANGE_LINE = / *<(different|left_only|right_only|same|range) begin="(\d{1,16})" (?:(?:left_|right_)?data_begin="\d{1,20}" ){0,2}length="(\d{1,16})"\/>\n/y

function read(line: string, start = 0) {
  const reader = new RangeLineReader()
  const end = reader.read(Buffer.from(line, 'latin1'), start)
  return end < 0 ? null : { end, name: RANGE_LINE_NAMES[reader.name], begin: reader.beginBlocks, length: reader.lengthBlocks }
}

describe('RangeLineReader', () => {
  it('reads plain and --verbose lines, and says where the next line starts', () => {
    expect(read('    <different begin="40" length="1"/>\n')).toEqual({ end: 39, name: 'different', begin: 40, length: 1 })
    expect(read('<same begin="0" length="40"/>\nnext')).toEqual({ end: 30, name: 'same', begin: 0, length: 40 })
    expect(read('      <range begin="86" data_begin="344" length="2"/>\n')?.name).toBe('range')
    expect(read('<range begin="5" left_data_begin="7" right_data_begin="9" length="3"/>\n')).toMatchObject({ begin: 5, length: 3 })
    expect(RANGE_LINE_NAMES[NAME_RANGE]).toBe('range')
  })

  it('reads a line from the middle of the bytes', () => {
    expect(read('<diff left="2" right="3">\n<left_only begin="41" length="1"/>\n', 26)).toEqual({ end: 61, name: 'left_only', begin: 41, length: 1 })
  })

  it('leaves an unfinished line, and anything not exactly a range line, to the general path', () => {
    for (const line of [
      '<different begin="40" length="1"/>',
      '<different begin="40" length="1"/',
      '<different begin="40" length="1"/>\r\n',
      '<different begin="40" length="1" />\n',
      '<different  begin="40" length="1"/>\n',
      '<different length="1" begin="40"/>\n',
      '<different begin="40"/>\n',
      '<different begin="" length="1"/>\n',
      '<different begin="12345678901234567" length="1"/>\n',
      '<range begin="1" data_begin="1" data_begin="2" data_begin="3" length="1"/>\n',
      '<range begin="1" data_begin="123456789012345678901" length="1"/>\n',
      '<moved begin="1" length="1"/>\n',
      '\t<same begin="0" length="1"/>\n',
      '</diff>\n',
    ]) {
      expect(read(line)).toBeNull()
    }
  })

  it('keeps 16 digits as written; past 2^53 the value is for the caller to refuse', () => {
    expect(read('<same begin="9007199254740991" length="1"/>\n')?.begin).toBe(Number.MAX_SAFE_INTEGER)
    expect(Number.isSafeInteger(read('<same begin="9007199254740993" length="1"/>\n')?.begin)).toBe(false)
    expect(Number.isSafeInteger(read('<same begin="9999999999999999" length="1"/>\n')?.begin)).toBe(false)
  })

  it('accepts exactly the lines the regular expression accepts, with the same numbers (random edits of real lines)', () => {
    const next = seededRandom(12)
    const seeds = [
      '  <different begin="40" length="1"/>\n',
      '    <range begin="86" left_data_begin="344" right_data_begin="12" length="2"/>\n',
      '<right_only begin="9007199254740990" length="1"/>\n',
      '<same begin="0" data_begin="1" length="40"/>\n',
    ]
    const alphabet = ' <>/"=\n0123456789abdeglnrst_'
    for (let i = 0; i < 20_000; i++) {
      const chars = seeds[next(seeds.length)].split('')
      for (let edits = 1 + next(3); edits > 0; edits--) {
        const at = next(chars.length + 1)
        const c = alphabet[next(alphabet.length)]
        const op = next(3)
        if (op === 0) chars.splice(at, 1)
        else if (op === 1) chars.splice(at, 0, c)
        else chars.splice(at, 1, c)
      }
      const line = chars.join('')
      RANGE_LINE.lastIndex = 0
      const m = RANGE_LINE.exec(line)
      const got = read(line)
      expect([line, got]).toEqual([line, m ? { end: m[0].length, name: m[1], begin: Number(m[2]), length: Number(m[3]) } : null])
    }
  })
})
