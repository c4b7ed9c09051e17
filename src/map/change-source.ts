// Where a generation's changes come from: the chunks that differ between an
// older and a newer snapshot, and how to read the older snapshot's bytes
// there. One implementation per kind of snapshot, each in its own folder
// (src/cow/ for dm-snapshot COW tables); nothing above src/generation/ needs
// to know which kind it has. Below src/generation/ so that those folders can
// implement it without importing the generation that uses them.
import { NamedIdentity } from '../io/device-identity'
import { ChunkRuns } from './chunk-runs'
import { RunKinds } from './run-kinds'

/** The newer snapshot the runs are for: its path (for messages) and size. */
export interface SnapshotExtent {
  readonly path: string
  readonly sizeBytes: number
}

/** The older snapshot's bytes inside the runs, opened on the first read. */
export interface OldContentReader {
  /** Fills `target` with the older snapshot's bytes at `offsetBytes`; the range must lie inside one run. */
  readOld(target: Buffer, offsetBytes: number): Promise<void>
  close(): Promise<void>
}

export interface ChangeSource<Kind extends string = string, Description extends object = object> {
  /** Which kind of snapshot the changes are read from ('cow': a dm-snapshot exception table). */
  readonly kind: Kind
  /** What the changes are read from, as the user named it: for messages and chunks.map's header. */
  readonly path: string
  /** This kind's own facts, typed: what info.json, `list` and the mount summary print of the source. */
  readonly description: Description
  /** Every file or device the changes are read from, with what it was when read: never a copy's target. */
  readonly inputs: readonly NamedIdentity[]
  /**
   * The identity (io/device-identity.ts) of a device that is the older
   * snapshot or one of its layers, where the changes come from one:
   * device-mapper names the older snapshot from it (io/dm-identity.ts).
   */
  readonly olderSnapshotDevice: string | undefined
  /**
   * The changed runs of `snapshot`, the newer end; refuses a snapshot the
   * changes cannot belong to. Without a snapshot its size is unknown: runs
   * end at whole chunks. Call it once: a source may hand its memory to the runs.
   */
  runsFor(snapshot: SnapshotExtent | undefined): ChunkRuns
  /** The kind of each run runsFor gave, where this source knows it (thin); null where it does not (a COW). */
  runKinds(): RunKinds | null
  /** A reader of the older snapshot's bytes inside `runs` (the runs runsFor gave). */
  oldContent(runs: ChunkRuns): OldContentReader
}
