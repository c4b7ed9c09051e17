// --resync: after the previous snapshot became unusable, find the blocks
// where the target differs from the new snapshot, so only those are copied.
import { forEachPiece } from '../copy/pieces'
import { wholeDevicePieces } from '../copy/verify'
import { BlockSource } from '../io/block-source'
import { FileSource } from '../io/file-source'
import { ChunkRuns, chunkRunsFromByteRanges } from '../map/chunk-runs'

const PIECE_BYTES = 4 * 1024 * 1024

/**
 * Compares `targetPath` with `snapshot` block by block (`blockBytes`, the
 * snapshot's chunk size) and returns the differing blocks as merged runs.
 * Both sides are local, so comparing the bytes is cheaper than hashing them.
 */
export async function findDifferingBlocks(
  snapshot: BlockSource,
  targetPath: string,
  blockBytes: number,
  onProgress: (bytes: number) => void,
): Promise<ChunkRuns> {
  const target = await FileSource.open(targetPath)
  const ranges: Array<[number, number]> = []
  try {
    const got = Buffer.allocUnsafeSlow(PIECE_BYTES)
    // One piece at a time keeps the ranges in ascending order.
    await forEachPiece(wholeDevicePieces(snapshot.sizeBytes, PIECE_BYTES), PIECE_BYTES, 1, async (piece, expected) => {
      const actual = got.subarray(0, piece.lengthBytes)
      await Promise.all([snapshot.readInto(expected, piece.offsetBytes), target.readInto(actual, piece.offsetBytes)])
      for (let at = 0; at < piece.lengthBytes; at += blockBytes) {
        const end = Math.min(at + blockBytes, piece.lengthBytes)
        if (expected.subarray(at, end).equals(actual.subarray(at, end))) continue
        const offset = piece.offsetBytes + at
        const last = ranges[ranges.length - 1]
        if (last && last[0] + last[1] === offset) last[1] += end - at
        else ranges.push([offset, end - at])
      }
      onProgress(piece.lengthBytes)
    })
  } finally {
    await target.close()
  }
  return chunkRunsFromByteRanges(blockBytes, snapshot.sizeBytes, ranges)
}
