// The content check every apply runs before its first write: in each run of
// the delta, TARGET must hold the old snapshot's bytes (it is a backup of the
// base) or the new snapshot's (already applied: a re-run after a cut).
// Anything else is the wrong backup, a generation skipped or replayed, or an
// old snapshot written to since: writing would give a backup that matches no
// snapshot and that nothing reports. Mixed old and new is what a cut apply
// leaves, so the old-bytes check accepts it sector by sector (the unit a
// device writes whole); base.sha256 can only judge whole pieces.
import { createHash } from 'crypto'
import { GenerationSource } from '../generation/generation-source'
import { forEachPiece, Piece, runPieces } from './pieces'
import { readTarget, Target } from './target'
import { BaseSums, BASE_SUMS_PIECE_BYTES, pieceSum } from '../format/base-sums-text'
import { describeSnapshot, SnapshotIdentity } from '../generation/generation-identity'
import { InvalidInputError } from '../errors'
import { OldContentSink } from './write-journal'
import { SECTOR_BYTES } from '../units'

/** Pieces in flight while checking: reading TARGET and the old bytes of one while comparing another. */
const CHECK_IN_FLIGHT = 3
/** Pieces read from TARGET and the COW at a time: apply's piece size, for sequential throughput. */
const OLD_BYTES_PIECE_BYTES = 4 * 1024 * 1024

export interface BaseCheckResult {
  /** What TARGET was compared with. */
  checkedBy: 'old snapshot' | 'base.sha256' | 'nothing (no base: a full copy)'
  /**
   * Runs that already held the new data and not the old (a re-run); a run
   * whose data did not change counts as holding the old. Null when nothing was checked.
   */
  runsAlreadyNew: number | null
  /** True when some piece of TARGET holds new data that differs from the old (an earlier write got there): its old bytes are gone from TARGET. */
  holdsNewData: boolean
}

/**
 * Refuses (InvalidInputError, nothing written) unless TARGET holds, run by
 * run, the delta's base or its result. The old bytes it reads go to `sink`
 * (a history's undo record), so that nothing reads them twice.
 */
export async function checkTargetHoldsBase(source: GenerationSource, target: Target, sink: OldContentSink | null = null): Promise<BaseCheckResult> {
  if (source.readOld) return checkOldBytes(source, source.readOld, target, sink)
  if (source.readBaseSums) return checkBaseSums(source, await source.readBaseSums(), target, sink)
  // A source that starts from no snapshot (a full copy, a resync) writes
  // every byte its result needs: there is no base to hold.
  if (source.identities.from.name === null && source.identities.from.uuid === null) {
    return { checkedBy: 'nothing (no base: a full copy)', runsAlreadyNew: null, holdsNewData: false }
  }
  throw new InvalidInputError(
    `${source.description}: the delta starts from ${describeSnapshot(source.identities.from)}, but it can read neither that snapshot's data ` +
      `nor a base.sha256, so it cannot check that ${target.path} holds it: refusing to write`,
  )
}

type PieceState = 'old' | 'new' | 'mixed'

async function checkOldBytes(
  source: GenerationSource,
  readOld: (target: Buffer, offsetBytes: number) => Promise<void>,
  target: Target,
  sink: OldContentSink | null,
): Promise<BaseCheckResult> {
  // Whole piece-sized buffers, reused: two per piece in flight at most.
  const scratch: Buffer[] = []
  const take = () => scratch.pop() ?? Buffer.allocUnsafeSlow(OLD_BYTES_PIECE_BYTES)
  return checkPieces(source, target, runPieces(source.runs, OLD_BYTES_PIECE_BYTES), OLD_BYTES_PIECE_BYTES, async (piece, held) => {
    const oldWhole = take()
    const old = oldWhole.subarray(0, piece.lengthBytes)
    try {
      // The usual case first: TARGET holds the base, and the new bytes are not needed.
      await Promise.all([readTarget(target, held, piece.offsetBytes), readOld(old, piece.offsetBytes)])
      // The old snapshot's bytes are the undo data, whatever TARGET holds.
      await sink?.put(old, piece.offsetBytes)
      if (held.equals(old)) return 'old'
      const freshWhole = take()
      const fresh = freshWhole.subarray(0, piece.lengthBytes)
      try {
        await source.readChanged(fresh, piece.offsetBytes)
        if (held.equals(fresh)) return 'new'
        for (let s = 0; s < held.length; s += SECTOR_BYTES) {
          const e = Math.min(s + SECTOR_BYTES, held.length)
          if (held.compare(old, s, e, s, e) !== 0 && held.compare(fresh, s, e, s, e) !== 0) return piece.offsetBytes + s
        }
        return 'mixed'
      } finally {
        scratch.push(freshWhole)
      }
    } finally {
      scratch.push(oldWhole)
    }
  })
}

async function checkBaseSums(source: GenerationSource, sums: BaseSums, target: Target, sink: OldContentSink | null): Promise<BaseCheckResult> {
  const runs = source.runs
  let covered = 0
  const pieces: Piece[] = []
  for (let i = 0; i < sums.offsets.length; i++) {
    const run = runs.findRun(sums.offsets[i])
    if (run < 0 || sums.offsets[i] + sums.lengths[i] > runs.endBytes(run)) {
      throw new InvalidInputError(`base.sha256 of ${source.description} lists bytes ${sums.offsets[i]}+${sums.lengths[i]}, which chunks.map does not change: it belongs to another generation`)
    }
    covered += sums.lengths[i]
    pieces.push({ offsetBytes: sums.offsets[i], lengthBytes: sums.lengths[i] })
  }
  // Pieces are ascending, non-overlapping (parseBaseSums) and inside runs: equal totals mean every run byte is covered.
  if (covered !== runs.changedBytes) {
    throw new InvalidInputError(`base.sha256 of ${source.description} covers ${covered} bytes, but chunks.map changes ${runs.changedBytes}: it belongs to another generation`)
  }
  const index = new Map(pieces.map((p, i) => [p.offsetBytes, i]))
  const result = await checkPieces(source, target, pieces, BASE_SUMS_PIECE_BYTES, async (piece, held) => {
    await readTarget(target, held, piece.offsetBytes)
    const sum = createHash('sha256').update(held).digest()
    const i = index.get(piece.offsetBytes) as number
    if (sum.equals(pieceSum(sums.oldSums, i))) {
      await sink?.put(held, piece.offsetBytes)
      return 'old'
    }
    // New bytes give the undo record nothing: the journal then refuses, or resumes a record it has.
    if (sum.equals(pieceSum(sums.newSums, i))) return 'new'
    return piece.offsetBytes
  })
  return { ...result, checkedBy: 'base.sha256' }
}

/**
 * Judges every piece (a byte offset: TARGET holds neither there) and refuses
 * at the lowest offending offset: pieces start in ascending order and every
 * earlier one has settled when forEachPiece returns.
 */
async function checkPieces(
  source: GenerationSource,
  target: Target,
  pieces: Iterable<Piece>,
  maxPieceBytes: number,
  judge: (piece: Piece, held: Buffer) => Promise<PieceState | number>,
): Promise<BaseCheckResult> {
  const runs = source.runs
  const notNew = new Uint8Array(runs.count)
  let offending = Infinity
  let holdsNewData = false
  const stop = new Error('stop at the first offending piece')
  try {
    await forEachPiece(pieces, maxPieceBytes, CHECK_IN_FLIGHT, async (piece, held) => {
      const state = await judge(piece, held)
      if (typeof state === 'number') {
        offending = Math.min(offending, state)
        throw stop
      }
      if (state === 'new' || state === 'mixed') holdsNewData = true
      if (state !== 'new') notNew[runs.findRun(piece.offsetBytes)] = 1
    })
  } catch (err) {
    if (err !== stop) throw err
  }
  if (offending !== Infinity) throw refusal(source, target, offending, Boolean(source.readOld))
  return { checkedBy: 'old snapshot', runsAlreadyNew: notNew.reduce((n, flag) => n + (flag ? 0 : 1), 0), holdsNewData }
}

function refusal(source: GenerationSource, target: Target, offsetBytes: number, bySector: boolean): InvalidInputError {
  const run = source.runs.findRun(offsetBytes)
  const runText = `the run at byte ${source.runs.offsetBytes(run)}, ${source.runs.lengthBytes(run)} bytes long`
  return new InvalidInputError(
    `refusing to write: ${target.path} holds neither the old nor the new snapshot's data in ${runText} ` +
      `(${bySector ? `from byte ${offsetBytes}` : `the piece at byte ${offsetBytes}`}), so it is not a backup of the base of ${source.description}. ` +
      `This delta needs a backup of ${baseName(source.identities.from)}: apply each generation in order, onto the result of the one before. ` +
      (bySector
        ? ''
        : 'If an earlier apply of this same generation was cut short, apply it from the mounted generation directory, which checks sector by sector. ') +
      `${target.path} was not changed.`,
  )
}

function baseName(from: SnapshotIdentity): string {
  return from.name === null && from.uuid === null ? 'the snapshot this delta starts from' : describeSnapshot(from)
}
