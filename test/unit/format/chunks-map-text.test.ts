import {
  changedFileName,
  chunksMapLineBytes,
  formatChunksMapHeader,
  formatChunksMapLine,
  parseChangedFileName,
  parseChunksMap,
} from '../../../src/format/chunks-map-text'

test('header and lines round-trip through the parser', () => {
  const text =
    formatChunksMapHeader({
      kindNames: null,
      chunkSizeBytes: 4096,
      deviceSizeBytes: 1 << 20,
      changedChunks: 3,
      runs: 2,
      changedBytes: 12288,
      cowPath: '/dev/mapper/vg-s1-cow',
      snapshotPath: '/dev/mapper/vg-s2',
    }) +
    formatChunksMapLine(0, 8192) +
    formatChunksMapLine(40960, 4096)
  const parsed = parseChunksMap(text, 'chunks.map')
  expect(parsed.offsets).toEqual([0, 40960])
  expect(parsed.lengths).toEqual([8192, 4096])
  expect(parsed.comments.get('device_size_bytes')).toBe(String(1 << 20))
  expect(parsed.comments.get('chunk_size_bytes')).toBe('4096')
})

test('extra fields after OFFSET LENGTH are allowed (forward compatible)', () => {
  expect(parseChunksMap('0 4096 zero\n', 'm').lengths).toEqual([4096])
})

test.each([
  ['4096\n', /line 1: expected "OFFSET LENGTH"/],
  ['0x10 4096\n', /line 1: expected/],
  ['8192 4096\n0 4096\n', /line 2: run at 0 overlaps or precedes/],
  ['0 8192\n4096 4096\n', /line 2: run at 4096 overlaps/],
  ['0 0\n', /line 1/],
])('bad map %j is refused with its line number', (text, message) => {
  expect(() => parseChunksMap(text, '/backup/gen/chunks.map')).toThrow(message)
  expect(() => parseChunksMap(text, '/backup/gen/chunks.map')).toThrow('/backup/gen/chunks.map')
})

test('line sizes are computed without formatting', () => {
  for (const [o, l] of [[0, 1], [9, 10], [123456789012, 4096], [2 ** 50, 512]]) {
    expect(chunksMapLineBytes(o, l)).toBe(formatChunksMapLine(o, l).length)
  }
})

test('changed/ names are 16 lowercase hex digits and parse back', () => {
  expect(changedFileName(0x1f000)).toBe('000000000001f000')
  expect(parseChangedFileName('000000000001f000')).toBe(0x1f000)
  expect(parseChangedFileName('000000000001f000-zero')).toBe(0x1f000)
  expect(parseChangedFileName('1f000')).toBe(-1)
  expect(parseChangedFileName('000000000001F000')).toBe(-1)
})
