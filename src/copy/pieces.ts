// Splitting runs into bounded pieces, and working on a few pieces at a time:
// large sequential I/O without holding a whole run in memory.
import { ChunkRuns } from '../map/chunk-runs'

export interface Piece {
  offsetBytes: number
  lengthBytes: number
}

/** A piece and the index of the run it belongs to. */
export interface RunPiece extends Piece {
  run: number
}

/** The runs cut into consecutive pieces of at most `maxPieceBytes`, in ascending order. */
export function* runPieces(runs: ChunkRuns, maxPieceBytes: number): Generator<RunPiece> {
  for (let i = 0; i < runs.count; i++) {
    const end = runs.endBytes(i)
    for (let offset = runs.offsetBytes(i); offset < end; offset += maxPieceBytes) {
      yield { offsetBytes: offset, lengthBytes: Math.min(maxPieceBytes, end - offset), run: i }
    }
  }
}

/**
 * Runs `work` on every piece with at most `inFlight` pieces at once, each with
 * its own buffer of `maxPieceBytes` (reused). Stops at the first failure and
 * rethrows it after the pieces in flight have settled.
 */
export async function forEachPiece(
  pieces: Iterable<Piece>,
  maxPieceBytes: number,
  inFlight: number,
  work: (piece: Piece, buffer: Buffer) => Promise<void>,
): Promise<void> {
  const iterator = pieces[Symbol.iterator]()
  let failure: { error: unknown } | undefined
  const worker = async () => {
    const buffer = Buffer.allocUnsafeSlow(maxPieceBytes)
    while (!failure) {
      const next = iterator.next()
      if (next.done) return
      try {
        await work(next.value, buffer.subarray(0, next.value.lengthBytes))
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  if (failure) throw failure.error
}
