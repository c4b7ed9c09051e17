// verify: compares TARGET with the generation's new snapshot, either the
// whole device or only the runs, with large reads of both sides at once.
import { BlockSource } from '../io/block-source'
import { readFully } from '../io/read-fully'
import { ChunkRuns } from '../map/chunk-runs'
import { forEachPiece, Piece, runPieces } from './pieces'
import { openTarget } from './target'

export const VERIFY_PIECE_BYTES = 4 * 1024 * 1024
/** Differences are reported in blocks of this size. */
export const VERIFY_BLOCK_BYTES = 4096
/** How many differing ranges a report lists. */
export const VERIFY_LISTED_RANGES = 10

export interface VerifyReport {
  target: string
  identical: boolean
  comparedBytes: number
  /** Bytes in differing 4 KiB blocks. */
  differingBytes: number
  differingRanges: number
  /** The first differing ranges, [offset, length] in bytes. */
  firstRanges: Array<[number, number]>
}

/** Reads the expected bytes at an offset (the new snapshot's). */
export type ExpectedReader = (target: Buffer, offsetBytes: number) => Promise<void>

/** Pieces covering a whole device. */
export function* wholeDevicePieces(deviceSizeBytes: number, maxPieceBytes: number): Generator<Piece> {
  for (let offset = 0; offset < deviceSizeBytes; offset += maxPieceBytes) {
    yield { offsetBytes: offset, lengthBytes: Math.min(maxPieceBytes, deviceSizeBytes - offset) }
  }
}

/** Compares the whole of `full` with TARGET. */
export function verifyWholeDevice(full: BlockSource, targetPath: string, onProgress: (bytes: number) => void): Promise<VerifyReport> {
  return compareWithTarget(targetPath, full.sizeBytes, wholeDevicePieces(full.sizeBytes, VERIFY_PIECE_BYTES), (t, o) => full.readInto(t, o), onProgress)
}

/** Compares only the runs. */
export function verifyRuns(runs: ChunkRuns, readExpected: ExpectedReader, targetPath: string, onProgress: (bytes: number) => void): Promise<VerifyReport> {
  return compareWithTarget(targetPath, runs.deviceSizeBytes, runPieces(runs, VERIFY_PIECE_BYTES), readExpected, onProgress)
}

async function compareWithTarget(
  targetPath: string,
  deviceSizeBytes: number,
  pieces: Iterable<Piece>,
  readExpected: ExpectedReader,
  onProgress: (bytes: number) => void,
): Promise<VerifyReport> {
  // A TARGET of another size is refused like apply and receive refuse it (exit 3), not reported as a difference.
  const target = await openTarget(targetPath, deviceSizeBytes, 'read')
  const report: VerifyReport = { target: targetPath, identical: true, comparedBytes: 0, differingBytes: 0, differingRanges: 0, firstRanges: [] }
  try {
    const ranges = new DifferenceCollector(report)
    const actual = Buffer.allocUnsafeSlow(VERIFY_PIECE_BYTES)
    // One piece at a time keeps differences in ascending order; both sides are read at once.
    await forEachPiece(pieces, VERIFY_PIECE_BYTES, 1, async (piece, expected) => {
      const got = actual.subarray(0, piece.lengthBytes)
      await Promise.all([readExpected(expected, piece.offsetBytes), readFully(target.handle.fd, targetPath, got, piece.offsetBytes)])
      if (!expected.equals(got)) ranges.addDifferingBlocks(expected, got, piece.offsetBytes)
      report.comparedBytes += piece.lengthBytes
      onProgress(piece.lengthBytes)
    })
    return report
  } finally {
    await target.close()
  }
}

/** Merges differing blocks into ranges; lists the first few, counts all. */
class DifferenceCollector {
  private lastEnd = -1

  constructor(private readonly report: VerifyReport) {}

  addDifferingBlocks(expected: Buffer, got: Buffer, baseOffsetBytes: number): void {
    for (let at = 0; at < expected.length; at += VERIFY_BLOCK_BYTES) {
      const end = Math.min(at + VERIFY_BLOCK_BYTES, expected.length)
      if (expected.subarray(at, end).equals(got.subarray(at, end))) continue
      this.add(baseOffsetBytes + at, end - at)
    }
  }

  private add(offsetBytes: number, lengthBytes: number): void {
    const r = this.report
    r.identical = false
    r.differingBytes += lengthBytes
    if (offsetBytes === this.lastEnd) {
      const last = r.firstRanges[r.firstRanges.length - 1]
      if (last && last[0] + last[1] === offsetBytes && r.differingRanges <= VERIFY_LISTED_RANGES) last[1] += lengthBytes
    } else {
      r.differingRanges++
      if (r.firstRanges.length < VERIFY_LISTED_RANGES) r.firstRanges.push([offsetBytes, lengthBytes])
    }
    this.lastEnd = offsetBytes + lengthBytes
  }
}
