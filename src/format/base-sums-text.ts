// base.sha256: what a copied generation directory (no COW at hand) needs so
// that apply can check TARGET before writing. Lines starting with '#' are
// comments; every other line is "OFFSET LENGTH OLD NEW": a piece of a run
// (runs longer than BASE_SUMS_PIECE_BYTES are cut, so a re-run after a cut
// apply finds whole pieces old or new), the SHA-256 (hex) of the old
// snapshot's bytes there (what a backup of the base holds) and of the new
// snapshot's bytes (what it holds once applied). Text, like sha256sum output.
import { chunksMapLineBytes } from './chunks-map-text'
import { InvalidInputError } from '../errors'

export const BASE_SUMS_VERSION = 1
/**
 * Pieces of a run are at most this long: the delta stream's record size
 * (MAX_RECORD_DATA_BYTES), so a copy's base.sha256 holds exactly its delta
 * stream's check table and a copy sends the stream the mount sends.
 */
export const BASE_SUMS_PIECE_BYTES = 1024 * 1024
const SHA256_HEX = 64
const SHA256_BYTES = 32

export interface BaseSums {
  readonly offsets: Float64Array
  readonly lengths: Uint32Array
  /** SHA-256 of the old bytes of piece i at [32 i, 32 i + 32). */
  readonly oldSums: Buffer
  readonly newSums: Buffer
}

/** The comment block at the top of base.sha256. */
export function formatBaseSumsHeader(pieces: number): string {
  return (
    `# snapdelta base.sha256 version ${BASE_SUMS_VERSION}\n` +
    `# each line: OFFSET LENGTH SHA256-OF-OLD SHA256-OF-NEW; a piece of a run of chunks.map (at most ${BASE_SUMS_PIECE_BYTES} bytes)\n` +
    '# apply refuses a TARGET whose bytes in a piece match neither: it does not hold the base of this delta\n' +
    `# pieces ${pieces}\n`
  )
}

/** One piece's line. */
export function formatBaseSumsLine(offsetBytes: number, lengthBytes: number, oldHex: string, newHex: string): string {
  return `${offsetBytes} ${lengthBytes} ${oldHex} ${newHex}\n`
}

/** Length in bytes of formatBaseSumsLine's result. */
export function baseSumsLineBytes(offsetBytes: number, lengthBytes: number): number {
  return chunksMapLineBytes(offsetBytes, lengthBytes) + 2 * (SHA256_HEX + 1)
}

const LINE = /^(\d+) (\d+) ([0-9a-f]{64}) ([0-9a-f]{64})$/

/** Parses base.sha256 text; `source` names it in errors. Checks ascending, non-overlapping pieces. */
export function parseBaseSums(text: string, source: string): BaseSums {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  const data = lines.filter((line) => !line.startsWith('#'))
  const offsets = new Float64Array(data.length)
  const lengths = new Uint32Array(data.length)
  const oldSums = Buffer.alloc(data.length * SHA256_BYTES)
  const newSums = Buffer.alloc(data.length * SHA256_BYTES)
  let previousEnd = 0
  data.forEach((line, i) => {
    const m = LINE.exec(line)
    const offset = m ? Number(m[1]) : NaN
    const length = m ? Number(m[2]) : NaN
    if (!m || !Number.isSafeInteger(offset) || length === 0 || length > BASE_SUMS_PIECE_BYTES) {
      throw new InvalidInputError(
        `${source}: expected "OFFSET LENGTH SHA256-OF-OLD SHA256-OF-NEW" (a piece of at most ${BASE_SUMS_PIECE_BYTES} bytes), got "${line.slice(0, 200)}"`,
      )
    }
    if (offset < previousEnd) throw new InvalidInputError(`${source}: the piece at ${offset} overlaps or precedes the one before it`)
    previousEnd = offset + length
    offsets[i] = offset
    lengths[i] = length
    oldSums.write(m[3], i * SHA256_BYTES, 'hex')
    newSums.write(m[4], i * SHA256_BYTES, 'hex')
  })
  return { offsets, lengths, oldSums, newSums }
}

/** The SHA-256 of piece i's old (or new) bytes. */
export function pieceSum(sums: Buffer, i: number): Buffer {
  return sums.subarray(i * SHA256_BYTES, (i + 1) * SHA256_BYTES)
}
