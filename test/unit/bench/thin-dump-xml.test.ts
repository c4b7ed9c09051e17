// The generated pool through the real thin-provisioning-tools: thin_restore must
// accept the XML, and thin_delta must list exactly the changes drawn.
import { execFileSync } from 'child_process'
import { readFileSync } from 'fs'
import path from 'path'
import { writeSparseFile } from '../../../src/bench/inputs'
import { writeThinDumpXml } from '../../../src/bench/thin-dump-xml'
import { thinMetadataSizeBytes } from '../../../src/bench/thin-metadata-size'
import { alternatingPattern, dailyChangesPattern, SEGMENT_DIFFERENT, SEGMENT_LEFT_ONLY, SEGMENT_RIGHT_ONLY, ThinPoolPattern } from '../../../src/bench/thin-pool-pattern'
import { KIND_DIFFERENT, KIND_LEFT_ONLY, KIND_RIGHT_ONLY } from '../../../src/thin/thin-delta-ranges'
import { parseThinDelta } from '../../../src/thin/thin-delta-xml'
import { toThinId } from '../../../src/thin/thin-id'
import { removeScratchRoot, scratchDir } from '../../helpers/tmp'

afterAll(removeScratchRoot)

const ids = { leftId: 2, rightId: 5, dataBlockSizeSectors: 128 }

async function restoreAndDelta(pattern: ThinPoolPattern) {
  const dir = scratchDir('thin-dump-xml')
  const xml = path.join(dir, 'pool.xml')
  const meta = path.join(dir, 'tmeta.img')
  const written = await writeThinDumpXml(xml, pattern, ids)
  await writeSparseFile(meta, thinMetadataSizeBytes([pattern.leftMappings, pattern.rightMappings], written.nrDataBlocks))
  execFileSync('thin_restore', ['-i', xml, '-o', meta])
  execFileSync('thin_check', ['-q', meta])
  const output = execFileSync('thin_delta', ['--snap1', String(ids.leftId), '--snap2', String(ids.rightId), '--', meta])
  return { xml: readFileSync(xml, 'latin1'), written, delta: parseThinDelta(output, { source: 'test', left: toThinId(ids.leftId, 'l'), right: toThinId(ids.rightId, 'r') }) }
}

const THIN_DELTA_KIND = new Map([[SEGMENT_DIFFERENT, KIND_DIFFERENT], [SEGMENT_LEFT_ONLY, KIND_LEFT_ONLY], [SEGMENT_RIGHT_ONLY, KIND_RIGHT_ONLY]])

// The changes as [begin, length, thin_delta kind] from the pattern's segments.
function drawnChanges(pattern: ThinPoolPattern): number[][] {
  const changes: number[][] = []
  let block = 0
  for (let i = 0; i < pattern.kinds.length; i++) {
    const kind = THIN_DELTA_KIND.get(pattern.kinds[i])
    if (kind !== undefined) changes.push([block, pattern.lengthBlocks[i], kind])
    block += pattern.lengthBlocks[i]
  }
  return changes
}

function ownRightBlocks(pattern: ThinPoolPattern): number {
  let blocks = 0
  for (let i = 0; i < pattern.kinds.length; i++) {
    if (pattern.kinds[i] === SEGMENT_DIFFERENT || pattern.kinds[i] === SEGMENT_RIGHT_ONLY) blocks += pattern.lengthBlocks[i]
  }
  return blocks
}

describe('writeThinDumpXml', () => {
  test('daily changes: thin_restore takes it, thin_check passes, thin_delta lists every change drawn', async () => {
    const pattern = dailyChangesPattern(30_000, 1)
    const { xml, written, delta } = await restoreAndDelta(pattern)
    expect(xml).toMatch(/^<superblock uuid="" time="1" transaction="2" flags="0" version="2" data_block_size="128" nr_data_blocks="\d+">\n  <device dev_id="2" /)
    expect(xml).toContain(`<device dev_id="5" mapped_blocks="${pattern.rightMappings}" `)
    // The left device's blocks, then one new block for each block the right device maps on its own.
    expect(written.nrDataBlocks).toBe(pattern.leftMappings + ownRightBlocks(pattern))
    const listed = Array.from({ length: delta.count }, (_, i) => [delta.beginBlocks[i], delta.lengthBlocks[i], delta.kinds[i]])
    expect(listed).toEqual(drawnChanges(pattern))
  })

  test('alternating: one single_mapping line a block on the right, thin_delta lists every other block', async () => {
    const pattern = alternatingPattern(1000)
    const { xml, delta } = await restoreAndDelta(pattern)
    expect(xml.match(/<single_mapping /g)).toHaveLength(1000)
    expect(xml.match(/<range_mapping /g)).toHaveLength(1)
    expect(delta.count).toBe(500)
    expect(Array.from(delta.beginBlocks.slice(0, 3))).toEqual([1, 3, 5])
  })
})
