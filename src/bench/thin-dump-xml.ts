// Writes a pool of two thin devices in thin_dump's XML (what thin-provisioning-tools
// 0.9.0 prints for test/fixtures/real-kernel-thin/*/thin_dump.xml), for thin_restore
// to turn into metadata. The left device maps its blocks to data blocks 0, 1, 2, ...
// in virtual order; the right one shares the left's data blocks where the pattern says
// "same" and gets new ones after them where it says different or right_only.
import { promises as fsp } from 'fs'
import { SEGMENT_DIFFERENT, SEGMENT_LEFT_ONLY, SEGMENT_RIGHT_ONLY, SEGMENT_SAME, ThinPoolPattern } from './thin-pool-pattern'

export interface ThinPoolIds {
  leftId: number
  rightId: number
  dataBlockSizeSectors: number
}

export interface WrittenThinDump {
  /** Data blocks the pool needs: the left device's, then the right device's own. */
  nrDataBlocks: number
  xmlBytes: number
}

const FLUSH_CHARS = 1 << 20

/** Writes `pattern` as thin_dump XML to `xmlPath`. */
export async function writeThinDumpXml(xmlPath: string, pattern: ThinPoolPattern, ids: ThinPoolIds): Promise<WrittenThinDump> {
  const file = await fsp.open(xmlPath, 'w')
  let xmlBytes = 0
  let text = ''
  const write = async (force: boolean) => {
    if (!force && text.length < FLUSH_CHARS) return
    const bytes = Buffer.from(text, 'latin1')
    await file.write(bytes)
    xmlBytes += bytes.length
    text = ''
  }
  const nrDataBlocks = pattern.leftMappings + pattern.rightMappings - sharedBlocks(pattern)
  try {
    text += `<superblock uuid="" time="1" transaction="2" flags="0" version="2" data_block_size="${ids.dataBlockSizeSectors}" nr_data_blocks="${nrDataBlocks}">\n`
    for (const side of ['left', 'right'] as const) {
      const left = side === 'left'
      text +=
        `  <device dev_id="${left ? ids.leftId : ids.rightId}" mapped_blocks="${left ? pattern.leftMappings : pattern.rightMappings}" ` +
        `transaction="${left ? 0 : 1}" creation_time="${left ? 0 : 1}" snap_time="1">\n`
      const mappings = new MappingLines()
      for (const [virtualBegin, dataBegin, length, time] of deviceMappings(pattern, left)) {
        text += mappings.add(virtualBegin, dataBegin, length, time)
        await write(false)
      }
      text += mappings.flush()
      text += '  </device>\n'
    }
    text += '</superblock>\n'
    await write(true)
  } finally {
    await file.close()
  }
  return { nrDataBlocks, xmlBytes }
}

function sharedBlocks(pattern: ThinPoolPattern): number {
  let shared = 0
  for (let i = 0; i < pattern.kinds.length; i++) if (pattern.kinds[i] === SEGMENT_SAME) shared += pattern.lengthBlocks[i]
  return shared
}

// One device's mappings, segment by segment: [virtual begin, data begin, length, time].
function* deviceMappings(pattern: ThinPoolPattern, left: boolean): Generator<[number, number, number, number]> {
  let virtualBlock = 0
  let leftData = 0
  let rightOwnData = pattern.leftMappings
  for (let i = 0; i < pattern.kinds.length; i++) {
    const kind = pattern.kinds[i]
    const length = pattern.lengthBlocks[i]
    const inLeft = kind === SEGMENT_SAME || kind === SEGMENT_DIFFERENT || kind === SEGMENT_LEFT_ONLY
    const inRight = kind === SEGMENT_SAME || kind === SEGMENT_DIFFERENT || kind === SEGMENT_RIGHT_ONLY
    if (left && inLeft) yield [virtualBlock, leftData, length, 0]
    else if (!left && kind === SEGMENT_SAME) yield [virtualBlock, leftData, length, 0]
    else if (!left && inRight) {
      yield [virtualBlock, rightOwnData, length, 1]
      rightOwnData += length
    }
    if (inLeft) leftData += length
    virtualBlock += length
  }
}

// Merges mappings contiguous in both virtual and data blocks, as thin_dump does, into range_mapping lines.
class MappingLines {
  private virtualBegin = 0
  private dataBegin = 0
  private length = 0
  private time = 0

  add(virtualBegin: number, dataBegin: number, length: number, time: number): string {
    if (this.length > 0 && virtualBegin === this.virtualBegin + this.length && dataBegin === this.dataBegin + this.length && time === this.time) {
      this.length += length
      return ''
    }
    const line = this.flush()
    this.virtualBegin = virtualBegin
    this.dataBegin = dataBegin
    this.length = length
    this.time = time
    return line
  }

  flush(): string {
    const n = this.length
    this.length = 0
    if (n === 0) return ''
    if (n === 1) return `    <single_mapping origin_block="${this.virtualBegin}" data_block="${this.dataBegin}" time="${this.time}"/>\n`
    return `    <range_mapping origin_begin="${this.virtualBegin}" data_begin="${this.dataBegin}" length="${n}" time="${this.time}"/>\n`
  }
}
