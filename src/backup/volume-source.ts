// Copy sources made from a snapshot device for the backup: the whole volume
// (first backup, fallback after an overflow) or a chosen set of runs (resync).
import { GenerationSource } from '../generation/generation-source'
import { BlockSource } from '../io/block-source'
import { ChunkRuns } from '../map/chunk-runs'
import { SnapshotIdentity, UNKNOWN_SNAPSHOT } from '../generation/generation-identity'

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
