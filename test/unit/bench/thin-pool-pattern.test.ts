import {
  alternatingPattern,
  dailyChangesPattern,
  SEGMENT_DIFFERENT,
  SEGMENT_LEFT_ONLY,
  SEGMENT_RIGHT_ONLY,
  SEGMENT_SAME,
  SEGMENT_UNMAPPED,
  ThinPoolPattern,
} from '../../../src/bench/thin-pool-pattern'

// The totals a pattern reports, counted again from its segments.
function recount(p: ThinPoolPattern) {
  const blocks = [0, 0, 0, 0, 0]
  let changedSegments = 0
  for (let i = 0; i < p.kinds.length; i++) {
    expect(p.lengthBlocks[i]).toBeGreaterThan(0)
    blocks[p.kinds[i]] += p.lengthBlocks[i]
    if (p.kinds[i] !== SEGMENT_SAME && p.kinds[i] !== SEGMENT_UNMAPPED) changedSegments++
  }
  return {
    left: blocks[SEGMENT_SAME] + blocks[SEGMENT_DIFFERENT] + blocks[SEGMENT_LEFT_ONLY],
    right: blocks[SEGMENT_SAME] + blocks[SEGMENT_DIFFERENT] + blocks[SEGMENT_RIGHT_ONLY],
    changed: blocks[SEGMENT_DIFFERENT] + blocks[SEGMENT_LEFT_ONLY] + blocks[SEGMENT_RIGHT_ONLY],
    virtual: blocks.reduce((a, b) => a + b, 0),
    changedSegments,
  }
}

describe('thin pool patterns', () => {
  test('daily changes: exactly the left mappings asked for, about 10% changed, all kinds, changes never touching', () => {
    const p = dailyChangesPattern(200_000, 3)
    const counted = recount(p)
    expect(p.leftMappings).toBe(200_000)
    expect(counted).toEqual({ left: p.leftMappings, right: p.rightMappings, changed: p.changedBlocks, virtual: p.virtualBlocks, changedSegments: p.changedSegments })
    expect(p.changedBlocks / p.leftMappings).toBeGreaterThan(0.05)
    expect(p.changedBlocks / p.leftMappings).toBeLessThan(0.2)
    for (const kind of [SEGMENT_DIFFERENT, SEGMENT_LEFT_ONLY, SEGMENT_RIGHT_ONLY, SEGMENT_UNMAPPED]) expect(p.kinds).toContain(kind)
    for (let i = 1; i < p.kinds.length; i++) {
      const changed = (k: number) => k !== SEGMENT_SAME && k !== SEGMENT_UNMAPPED
      expect(changed(p.kinds[i - 1]) && changed(p.kinds[i])).toBe(false)
    }
  })

  test('daily changes are the same for the same seed', () => {
    const a = dailyChangesPattern(10_000, 7)
    const b = dailyChangesPattern(10_000, 7)
    expect(Array.from(a.kinds)).toEqual(Array.from(b.kinds))
    expect(Array.from(a.lengthBlocks)).toEqual(Array.from(b.lengthBlocks))
  })

  test('alternating: every other block different, one block each', () => {
    const p = alternatingPattern(6)
    expect(Array.from(p.kinds)).toEqual([SEGMENT_SAME, SEGMENT_DIFFERENT, SEGMENT_SAME, SEGMENT_DIFFERENT, SEGMENT_SAME, SEGMENT_DIFFERENT])
    expect(p).toMatchObject({ leftMappings: 6, rightMappings: 6, virtualBlocks: 6, changedBlocks: 3, changedSegments: 3 })
  })
})
