// Computes base.sha256 (format/base-sums-text.ts) of a source that can read
// both ends of the delta: the mount serves it so that a copied generation
// directory, which has no COW, can still be checked against its TARGET.
import { createHash } from 'crypto'
import { GenerationSource } from '../generation/generation-source'
import { runPieces } from './pieces'
import { ChunkRuns } from '../map/chunk-runs'
import { baseSumsLineBytes, BASE_SUMS_PIECE_BYTES, formatBaseSumsHeader, formatBaseSumsLine } from '../format/base-sums-text'
import { InvalidInputError } from '../errors'

/** Number of lines (pieces) of base.sha256 for `runs`. */
function pieceCount(runs: ChunkRuns): number {
  let n = 0
  for (let i = 0; i < runs.count; i++) n += Math.ceil(runs.lengthBytes(i) / BASE_SUMS_PIECE_BYTES)
  return n
}

/** Size of base.sha256 for `runs`, known before any data is read. */
export function baseSumsSizeBytes(runs: ChunkRuns): number {
  let bytes = Buffer.byteLength(formatBaseSumsHeader(pieceCount(runs)))
  for (const piece of runPieces(runs, BASE_SUMS_PIECE_BYTES)) bytes += baseSumsLineBytes(piece.offsetBytes, piece.lengthBytes)
  return bytes
}

/** The text of base.sha256: reads every piece's old bytes (COW) and new bytes (snapshot) once. */
export async function formatBaseSums(source: GenerationSource): Promise<string> {
  const readOld = source.readOld
  if (!readOld) throw new InvalidInputError(`${source.description} cannot read the old snapshot's data: no base.sha256 can be made from it`)
  const parts = [formatBaseSumsHeader(pieceCount(source.runs))]
  const old = Buffer.allocUnsafeSlow(BASE_SUMS_PIECE_BYTES)
  const fresh = Buffer.allocUnsafeSlow(BASE_SUMS_PIECE_BYTES)
  for (const piece of runPieces(source.runs, BASE_SUMS_PIECE_BYTES)) {
    const o = old.subarray(0, piece.lengthBytes)
    const n = fresh.subarray(0, piece.lengthBytes)
    await Promise.all([readOld(o, piece.offsetBytes), source.readChanged(n, piece.offsetBytes)])
    const sum = (data: Buffer) => createHash('sha256').update(data).digest('hex')
    parts.push(formatBaseSumsLine(piece.offsetBytes, piece.lengthBytes, sum(o), sum(n)))
  }
  return parts.join('')
}
