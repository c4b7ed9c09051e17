import { readFileSync } from 'fs'
import { InvalidInputError } from '../../../src/errors'
import { ChunkRuns } from '../../../src/map/chunk-runs'
import { thinDeltaRuns } from '../../../src/thin/thin-delta-runs'
import { parseThinDelta } from '../../../src/thin/thin-delta-xml'
import { toThinId } from '../../../src/thin/thin-id'
import { thinFixtureFile, thinFixtureMeta, thinFixtureNames, zeroRunsOf } from '../../helpers/thin-fixtures'

const ids = { source: 'test delta', left: toThinId(2, 'left'), right: toThinId(3, 'right') }
const delta = (blockSectors: number, ...ranges: Array<[kind: string, begin: number, length: number]>) =>
  parseThinDelta(
    `<superblock data_block_size="${blockSectors}">\n<diff left="2" right="3">\n` +
      ranges.map(([k, b, l]) => `<${k} begin="${b}" length="${l}"/>\n`).join('') +
      '</diff>\n</superblock>\n',
    ids,
  )
const list = (runs: ChunkRuns) => Array.from({ length: runs.count }, (_, i) => [runs.offsetBytes(i), runs.lengthBytes(i)])
const KIB64 = 65536

/** Merges touching [kind, offset, length] ranges of one kind, as the runs must be. */
function mergedByKind(ranges: Array<[string, number, number]>): Array<[string, number, number]> {
  const out: Array<[string, number, number]> = []
  for (const [kind, offset, length] of ranges) {
    const last = out[out.length - 1]
    if (last && last[0] === kind && last[1] + last[2] === offset) last[2] += length
    else out.push([kind, offset, length])
  }
  return out
}
const withKinds = (result: ReturnType<typeof thinDeltaRuns>) =>
  list(result.runs).map(([o, l], i) => [result.kinds.names[result.kinds.codes[i]], o, l])

describe('thinDeltaRuns on the real-kernel fixtures', () => {
  const pairs = thinFixtureNames().flatMap((name) => thinFixtureMeta(name).pairs.map((pair) => ({ name, pair, label: `${name} ${pair.delta_file}` })))

  it.each(pairs)('$label: runs cover every kind, zero runs the left_only ranges, totals thin_delta counts', ({ name, pair }) => {
    const meta = thinFixtureMeta(name)
    const parsed = parseThinDelta(readFileSync(thinFixtureFile(name, pair.delta_file)), { ...ids, left: toThinId(pair.left_thin_id, 'l'), right: toThinId(pair.right_thin_id, 'r') })
    const result = thinDeltaRuns(parsed, meta.volume_bytes)
    expect(result.runs.chunkSizeBytes).toBe(meta.chunk_bytes)
    expect(withKinds(result)).toEqual(mergedByKind(pair.changed_ranges_bytes))
    expect(list(zeroRunsOf(result))).toEqual(mergedByKind(pair.changed_ranges_bytes.filter(([k]) => k === 'left_only')).map(([, o, l]) => [o, l]))
    for (const kind of ['different', 'left_only', 'right_only'] as const) {
      expect(result.totals[kind].blocks).toBe(pair.thin_delta_counts_blocks[kind])
      expect(result.totals[kind].bytes).toBe(pair.thin_delta_counts_blocks[kind] * meta.chunk_bytes)
    }
    expect(result.runs.changedBytes).toBe(Object.values(result.totals).reduce((sum, t) => sum + t.bytes, 0))
  })
})

describe('thinDeltaRuns', () => {
  it('keeps touching ranges of different kinds apart, each run with its kind, and merges those of one kind', () => {
    const result = thinDeltaRuns(delta(128, ['different', 1, 2], ['left_only', 3, 1], ['right_only', 4, 1], ['left_only', 9, 1], ['left_only', 10, 1]), 16 * KIB64)
    expect(withKinds(result)).toEqual([
      ['different', KIB64, 2 * KIB64],
      ['left_only', 3 * KIB64, KIB64],
      ['right_only', 4 * KIB64, KIB64],
      ['left_only', 9 * KIB64, 2 * KIB64],
    ])
    expect(result.kinds.zeroCode).toBe(result.kinds.names.indexOf('left_only'))
    expect(list(zeroRunsOf(result))).toEqual([
      [3 * KIB64, KIB64],
      [9 * KIB64, 2 * KIB64],
    ])
    expect(result.totals).toEqual({
      different: { ranges: 1, blocks: 2, bytes: 2 * KIB64 },
      left_only: { ranges: 2, blocks: 3, bytes: 3 * KIB64 },
      right_only: { ranges: 1, blocks: 1, bytes: KIB64 },
    })
  })

  it('clamps the last run to a snapshot that ends inside a block', () => {
    const size = 10 * KIB64 + 4096
    const result = thinDeltaRuns(delta(128, ['right_only', 8, 3]), size)
    expect(list(result.runs)).toEqual([[8 * KIB64, 2 * KIB64 + 4096]])
    expect(result.runs.changedBytes).toBe(2 * KIB64 + 4096)
    expect(result.totals.right_only).toEqual({ ranges: 1, blocks: 3, bytes: 2 * KIB64 + 4096 })
  })

  it('refuses a range past the end of the snapshot, naming it', () => {
    expect(() => thinDeltaRuns(delta(128, ['left_only', 15, 2]), 16 * KIB64)).toThrow(InvalidInputError)
    expect(() => thinDeltaRuns(delta(128, ['left_only', 15, 2]), 16 * KIB64)).toThrow(
      'test delta: thin_delta reports a left_only range at blocks 15..16 of 65536 bytes, past the end of the snapshot (1048576 bytes, 16 blocks)',
    )
    expect(() => thinDeltaRuns(delta(128, ['different', 0, 1]), 0)).toThrow(/past the end of the snapshot \(0 bytes, 0 blocks\)/)
  })

  it('cuts a run longer than 2^32 - 1 blocks, which ChunkRuns cannot count in one', () => {
    const blocks = 2 ** 32 + 5
    const result = thinDeltaRuns(delta(8, ['right_only', 0, blocks]), blocks * 4096)
    expect(result.runs.count).toBe(2)
    expect(result.runs.changedBytes).toBe(blocks * 4096)
    expect(result.runs.offsetBytes(1)).toBe((2 ** 32 - 1) * 4096)
  })

  it('gives empty runs for an empty delta', () => {
    const result = thinDeltaRuns(delta(128), 16 * KIB64)
    expect([result.runs.count, zeroRunsOf(result).count, result.runs.changedBytes]).toEqual([0, 0, 0])
  })
})
