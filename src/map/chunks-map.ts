// chunks.map for a set of runs: the header fields they imply, and the whole
// text for small maps. Large maps are rendered piecewise (src/vfs/chunks-map-file.ts,
// snapdelta map) from the same header.
import { ChunksMapHeader, formatChunksMapHeader, formatChunksMapLine } from '../format/chunks-map-text'
import { ChunkRuns } from './chunk-runs'
import { kindName, RunKinds } from './run-kinds'

/** Header of the map of `runs`; without a snapshot (null) the device size is unknown too. */
export function chunksMapHeaderOf(runs: ChunkRuns, cowPath: string, snapshotPath: string | null, kinds: RunKinds | null = null): ChunksMapHeader {
  return {
    chunkSizeBytes: runs.chunkSizeBytes,
    deviceSizeBytes: snapshotPath === null ? null : runs.deviceSizeBytes,
    changedChunks: runs.changedChunks,
    runs: runs.count,
    changedBytes: runs.changedBytes,
    cowPath,
    snapshotPath,
    kindNames: kinds?.names ?? null,
  }
}

/** The whole chunks.map text of `runs`, built in memory. */
export function chunksMapText(runs: ChunkRuns, cowPath: string, snapshotPath: string, kinds: RunKinds | null = null): string {
  const lines = [formatChunksMapHeader(chunksMapHeaderOf(runs, cowPath, snapshotPath, kinds))]
  for (let i = 0; i < runs.count; i++) lines.push(formatChunksMapLine(runs.offsetBytes(i), runs.lengthBytes(i), kindName(kinds, i)))
  return lines.join('')
}
