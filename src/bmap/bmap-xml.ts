// delta.bmap: a block map in bmap-tools' XML format, version 2.0 (the format
// BmapCreate.py writes and BmapCopy.py reads in bmap-tools 3.6), describing
// delta.img: the mapped ranges are exactly the runs, so `bmaptool copy` writes
// them all, zero-filled ones included, and nothing else.
// Checksums are SHA-256 hex, always 64 characters: the file's size is known
// from the runs before any checksum is computed (a mount must report st_size
// before the data is read).
import { createHash } from 'crypto'
import { ChunkRuns } from '../map/chunk-runs'

const CHECKSUM_HEX_CHARS = 64
const ZERO_CHECKSUM = '0'.repeat(CHECKSUM_HEX_CHARS)

/** Block size of the map: the COW's chunk size, so every run is whole blocks (but a last one cut by the device's end). */
export function bmapBlockSizeBytes(runs: ChunkRuns): number {
  return runs.chunkSizeBytes
}

function head(runs: ChunkRuns): string {
  const block = bmapBlockSizeBytes(runs)
  return (
    '<?xml version="1.0" ?>\n' +
    '<!-- snapdelta delta.bmap: the changed runs of delta.img (every run of chunks.map, all-zero ones\n' +
    '     included). Use it onto a block device only: bmaptool truncates a regular-file destination. -->\n' +
    '<bmap version="2.0">\n' +
    `    <ImageSize> ${runs.deviceSizeBytes} </ImageSize>\n` +
    `    <BlockSize> ${block} </BlockSize>\n` +
    `    <BlocksCount> ${Math.ceil(runs.deviceSizeBytes / block)} </BlocksCount>\n` +
    `    <MappedBlocksCount> ${runs.changedChunks} </MappedBlocksCount>\n` +
    '    <ChecksumType> sha256 </ChecksumType>\n' +
    '    <!-- SHA-256 of this file with this value replaced by 64 "0" characters -->\n' +
    '    <BmapFileChecksum> '
  )
}

const AFTER_FILE_CHECKSUM = ' </BmapFileChecksum>\n    <BlockMap>\n'
const TAIL = '    </BlockMap>\n</bmap>\n'

function rangeLine(runs: ChunkRuns, i: number, checksum: string): string {
  const block = bmapBlockSizeBytes(runs)
  const first = runs.offsetBytes(i) / block
  const last = Math.ceil(runs.endBytes(i) / block) - 1
  return `        <Range chksum="${checksum}"> ${first}-${last} </Range>\n`
}

/**
 * The bmap text. `rangeChecksums[i]` is the SHA-256 hex of run i's bytes
 * (what bmaptool hashes: blocks first..last, cut at the image's end).
 */
export function formatBmap(runs: ChunkRuns, rangeChecksums: readonly string[]): string {
  const parts = [head(runs), ZERO_CHECKSUM, AFTER_FILE_CHECKSUM]
  for (let i = 0; i < runs.count; i++) parts.push(rangeLine(runs, i, rangeChecksums[i]))
  parts.push(TAIL)
  const zeroed = parts.join('')
  // bmaptool checks BmapFileChecksum over the file with that value zeroed.
  const fileChecksum = createHash('sha256').update(zeroed).digest('hex')
  const at = head(runs).length
  return zeroed.slice(0, at) + fileChecksum + zeroed.slice(at + CHECKSUM_HEX_CHARS)
}

/** Size in bytes of formatBmap's result (ASCII), computed from the runs alone. */
export function bmapSizeBytes(runs: ChunkRuns): number {
  let bytes = head(runs).length + CHECKSUM_HEX_CHARS + AFTER_FILE_CHECKSUM.length + TAIL.length
  for (let i = 0; i < runs.count; i++) bytes += rangeLine(runs, i, ZERO_CHECKSUM).length
  return bytes
}
