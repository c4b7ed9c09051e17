// Copy sources made from a snapshot device for the backup: the whole volume
// (first backup, fallback after an overflow) or a chosen set of runs (resync).
import { GenerationSource } from '../copy/generation-source'
import { BlockSource } from '../io/block-source'
import { ChunkRuns, chunkRunsFromByteRanges } from '../map/chunk-runs'
import { SnapshotIdentity, UNKNOWN_SNAPSHOT } from '../generation/generation-identity'

// ChunkRuns counts a run's length in 32-bit chunks: cut the volume into runs of at most this.
const MAX_RUN_BYTES = 2 ** 40

/** Runs covering every byte of a device of `deviceSizeBytes`. */
export function wholeDeviceRuns(chunkSizeBytes: number, deviceSizeBytes: number): ChunkRuns {
  const ranges: Array<[number, number]> = []
  for (let offset = 0; offset < deviceSizeBytes; offset += MAX_RUN_BYTES) {
    ranges.push([offset, Math.min(MAX_RUN_BYTES, deviceSizeBytes - offset)])
  }
  return chunkRunsFromByteRanges(chunkSizeBytes, deviceSizeBytes, ranges)
}

/** A source that reads `runs` straight from `snapshot` (snapshot `to`); it starts from no known snapshot. */
export function snapshotRunsSource(snapshot: BlockSource, runs: ChunkRuns, to: SnapshotIdentity): GenerationSource {
  return {
    description: snapshot.path,
    runs,
    readChanged: (target, offsetBytes) => snapshot.readInto(target, offsetBytes),
    full: snapshot,
    inputs: snapshot.identity ? [{ path: snapshot.path, identity: snapshot.identity }] : [],
    identities: { from: UNKNOWN_SNAPSHOT, to },
    close: async () => {},
  }
}
