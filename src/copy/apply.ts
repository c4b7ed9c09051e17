// apply: checks that TARGET holds the generation's base (base-check.ts), then
// writes exactly the runs of the generation onto it, nothing else.
import { checkTargetHoldsBase } from './base-check'
import { GenerationSource } from '../generation/generation-source'
import { forEachPiece, runPieces } from './pieces'
import { openTarget, readTarget, syncTarget, writeFully } from './target'
import { WriteJournal } from './write-journal'
import { crashPoint } from '../crash-hook'

/** Bytes per read/write: large enough for sequential throughput, small enough for memory. */
export const APPLY_PIECE_BYTES = 4 * 1024 * 1024
/** Pieces in flight: reading one while writing another. */
const APPLY_IN_FLIGHT = 3

export interface ApplySummary {
  target: string
  source: string
  runs: number
  /** Runs that already held the new data, not the old (a re-run); null when there is no base to check (a full copy). */
  runsAlreadyNew: number | null
  /** What TARGET was compared with before the first write. */
  baseCheckedBy: string
  /** True when a history said TARGET already holds the generation: nothing was written. */
  alreadyHeld: boolean
  bytesWritten: number
  seconds: number
}

/**
 * Copies every run of `source` onto `targetPath` (same size required), then
 * fsyncs; refuses before the first write unless every run of TARGET holds
 * the old snapshot's data or already the new one.
 */
export async function applyToTarget(
  source: GenerationSource,
  targetPath: string,
  onProgress: (bytes: number) => void = () => {},
  journal?: WriteJournal,
): Promise<ApplySummary> {
  const started = process.hrtime.bigint()
  const target = await openTarget(targetPath, source.runs.deviceSizeBytes, 'write', source.inputs)
  let bytesWritten = 0
  let check
  try {
    const { from, to } = source.identities
    // Every byte written: a full copy, which needs no base (a resync writes only some runs, onto what TARGET holds).
    const full = source.runs.changedBytes === source.runs.deviceSizeBytes
    if (journal && (await journal.checkIdentity({ from, to, full })) === 'skip') {
      return { target: targetPath, source: source.description, runs: source.runs.count, runsAlreadyNew: null, baseCheckedBy: 'a history', alreadyHeld: true, bytesWritten: 0, seconds: 0 }
    }
    try {
      // All runs are checked before the first write: a refusal leaves TARGET byte-identical.
      const sink = (await journal?.oldContentSink({ from, to, runs: source.runs })) ?? null
      check = await checkTargetHoldsBase(source, target, sink)
      await journal?.beforeWrite({
        from,
        to,
        full,
        runs: source.runs,
        holdsNewData: check.holdsNewData,
        readTarget: (buffer, offsetBytes) => readTarget(target, buffer, offsetBytes),
        readOld: source.readOld,
      })
    } catch (err) {
      await journal?.abandon()
      throw err
    }
    await forEachPiece(runPieces(source.runs, APPLY_PIECE_BYTES), APPLY_PIECE_BYTES, APPLY_IN_FLIGHT, async (piece, buffer) => {
      await source.readChanged(buffer, piece.offsetBytes)
      await writeFully(target, buffer, piece.offsetBytes)
      if (journal && bytesWritten === 0) crashPoint('history-mid-write')
      bytesWritten += piece.lengthBytes
      onProgress(piece.lengthBytes)
    })
    await syncTarget(target)
    await journal?.afterWrite()
  } finally {
    await target.close()
  }
  return {
    target: targetPath,
    source: source.description,
    runs: source.runs.count,
    runsAlreadyNew: check.runsAlreadyNew,
    baseCheckedBy: check.checkedBy,
    alreadyHeld: false,
    bytesWritten,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  }
}
