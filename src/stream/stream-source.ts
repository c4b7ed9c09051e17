// What a generation source's stream looks like (kind, ends, check table),
// and its check table entries: the one place send and the mount's
// delta.stream decide it, so both write the same bytes.
import { createHash } from 'crypto'
import { GenerationSource } from '../generation/generation-source'
import { Piece } from '../copy/pieces'
import { CheckEntry } from './check-table'
import { HeaderOptions, recordsForRuns } from './stream-format'
import { BaseSums, pieceSum } from '../format/base-sums-text'
import { InvalidInputError } from '../errors'

/**
 * The header options for `source`'s stream. A source whose runs cover the
 * whole device writes every byte: a full stream, which needs no base and has
 * no check table. A delta has a check table, one entry per record, when the
 * source can read the old snapshot; without it (a copied generation
 * directory) there is nothing to check against, and the header says so.
 */
export function streamOptionsFor(source: GenerationSource): HeaderOptions {
  const { runs, identities } = source
  const full = runs.changedBytes === runs.deviceSizeBytes
  const checked = !full && (source.readOld !== undefined || source.readBaseSums !== undefined)
  return {
    kind: full ? 'full' : 'delta',
    from: identities.from,
    to: identities.to,
    checkEntries: checked ? recordsForRuns(runs) : null,
  }
}

/** The check entries of `source` by piece: read from the old and new snapshots, or taken from a copy's base.sha256. */
export async function checkEntryReader(source: GenerationSource): Promise<(piece: Piece) => Promise<CheckEntry>> {
  if (source.readOld || !source.readBaseSums) return (piece) => readCheckEntry(source, piece)
  const sums = await source.readBaseSums()
  return async (piece) => {
    const i = pieceIndex(sums, piece.offsetBytes)
    if (i < 0 || sums.lengths[i] !== piece.lengthBytes) {
      throw new InvalidInputError(`base.sha256 of ${source.description} has no piece of ${piece.lengthBytes} bytes at byte ${piece.offsetBytes}: it does not belong to this chunks.map`)
    }
    return { offsetBytes: piece.offsetBytes, lengthBytes: piece.lengthBytes, oldSha256: pieceSum(sums.oldSums, i), newSha256: pieceSum(sums.newSums, i) }
  }
}

// Index of the piece starting at `offsetBytes` (binary search; pieces ascend), or -1.
function pieceIndex(sums: BaseSums, offsetBytes: number): number {
  let lo = 0
  let hi = sums.offsets.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if (sums.offsets[mid] === offsetBytes) return mid
    if (sums.offsets[mid] < offsetBytes) lo = mid + 1
    else hi = mid - 1
  }
  return -1
}

/** The check entry of `piece`: reads the old snapshot's bytes and the new one's there (the source must have readOld). */
export async function readCheckEntry(source: GenerationSource, piece: Piece): Promise<CheckEntry> {
  const readOld = source.readOld
  if (!readOld) throw new RangeError(`${source.description} cannot read the old snapshot: it has no check table`)
  // One buffer at a time: a piece is at most one record (1 MiB).
  const data = Buffer.allocUnsafe(piece.lengthBytes)
  await readOld(data, piece.offsetBytes)
  const oldSha256 = createHash('sha256').update(data).digest()
  await source.readChanged(data, piece.offsetBytes)
  const newSha256 = createHash('sha256').update(data).digest()
  return { offsetBytes: piece.offsetBytes, lengthBytes: piece.lengthBytes, oldSha256, newSha256 }
}
