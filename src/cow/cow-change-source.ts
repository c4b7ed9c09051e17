// The dm-snapshot kind of change source: the older snapshot's COW lists
// every origin chunk written since that snapshot was taken, so every chunk
// where the newer snapshot can differ from it; the COW also holds the older
// snapshot's bytes of those chunks.
import { ChangeSource } from '../map/change-source'
import { buildChunkRuns } from '../map/chunk-runs'
import { ExceptionTable, readExceptionTableFromPath, runsForSnapshot } from './exception-table'
import { lazyOldContent } from './old-content'

/** What info.json, `list` and the mount summary say of a COW (in info.json's order). */
export interface CowDescription {
  /** Exceptions read (duplicates included). */
  exceptions: number
  cowPath: string
  /** What cowPath named when it was read (io/device-identity.ts). */
  cowIdentity: string | undefined
  cowSizeBytes: number
  cowReadWithODirect: boolean
}

export type CowChangeSource = ChangeSource<'cow', CowDescription>

/** Reads the exception table of the COW at `cowPath` (O_DIRECT) as a change source. */
export async function openCowChangeSource(cowPath: string): Promise<CowChangeSource> {
  return cowChangeSource(await readExceptionTableFromPath(cowPath))
}

function cowChangeSource(table: ExceptionTable): CowChangeSource {
  // Building runs sorts the table's chunks in place and reuses their memory.
  let consumed = false
  return {
    kind: 'cow',
    path: table.cowPath,
    description: {
      exceptions: table.exceptions,
      cowPath: table.cowPath,
      cowIdentity: table.cowIdentity,
      cowSizeBytes: table.cowSizeBytes,
      cowReadWithODirect: table.direct,
    },
    inputs: table.cowIdentity ? [{ path: table.cowPath, identity: table.cowIdentity }] : [],
    // A COW's dm device is the layer "cow" of the older snapshot's LV.
    olderSnapshotDevice: table.cowIdentity,
    runsFor: (snapshot) => {
      if (consumed) throw new Error(`${table.cowPath}: runsFor called twice on one exception table`)
      consumed = true
      if (snapshot) return runsForSnapshot(table, snapshot.path, snapshot.sizeBytes)
      return buildChunkRuns(table.oldChunks, table.exceptions, table.header.chunkSizeBytes, Number.MAX_SAFE_INTEGER)
    },
    // A COW says only that a chunk was written, not how.
    runKinds: () => null,
    // The saved chunks need the table again, with where each sits in the COW: read on the first read only.
    oldContent: (runs) =>
      lazyOldContent(table.cowPath, { chunkSizeBytes: runs.chunkSizeBytes, deviceSizeBytes: runs.deviceSizeBytes, identity: table.cowIdentity }),
  }
}
