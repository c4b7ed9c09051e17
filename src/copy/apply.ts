// apply: writes exactly the runs of a generation onto TARGET, nothing else.
import { GenerationSource } from './generation-source'
import { forEachPiece, runPieces } from './pieces'
import { openTarget, syncTarget, writeFully } from './target'

/** Bytes per read/write: large enough for sequential throughput, small enough for memory. */
export const APPLY_PIECE_BYTES = 4 * 1024 * 1024
/** Pieces in flight: reading one while writing another. */
const APPLY_IN_FLIGHT = 3

export interface ApplySummary {
  target: string
  source: string
  runs: number
  bytesWritten: number
  seconds: number
}

/** Copies every run of `source` onto `targetPath` (same size required), then fsyncs. */
export async function applyToTarget(
  source: GenerationSource,
  targetPath: string,
  onProgress: (bytes: number) => void = () => {},
): Promise<ApplySummary> {
  const started = process.hrtime.bigint()
  const target = await openTarget(targetPath, source.runs.deviceSizeBytes, 'write', source.inputs)
  let bytesWritten = 0
  try {
    await forEachPiece(runPieces(source.runs, APPLY_PIECE_BYTES), APPLY_PIECE_BYTES, APPLY_IN_FLIGHT, async (piece, buffer) => {
      await source.readChanged(buffer, piece.offsetBytes)
      await writeFully(target, buffer, piece.offsetBytes)
      bytesWritten += piece.lengthBytes
      onProgress(piece.lengthBytes)
    })
    await syncTarget(target)
  } finally {
    await target.close()
  }
  return {
    target: targetPath,
    source: source.description,
    runs: source.runs.count,
    bytesWritten,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  }
}
