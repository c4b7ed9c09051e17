// What a writer (apply, receive) tells a journal such as a backup history
// (src/history/) around its write of TARGET, so that the journal can refuse
// a delta for another base, skip one TARGET already holds, and record what
// the write overwrites before the first byte is written (write-ahead). The
// writers know nothing of histories; the command wires one in.
import { SnapshotIdentity } from '../generation/generation-identity'
import { ChunkRuns } from '../map/chunk-runs'

/** What is about to be written, known once TARGET passed the content check. */
export interface WritePlan {
  from: SnapshotIdentity
  to: SnapshotIdentity
  /** A whole-device write (a full stream): it needs no base and keeps no undo data. */
  full: boolean
  /** The ranges the write will overwrite. */
  runs: ChunkRuns
  /** True when TARGET already holds, somewhere in `runs`, new data that differs from the old (an earlier write was cut short). */
  holdsNewData: boolean
  /** Reads TARGET's current content (all old content unless holdsNewData). */
  readTarget(target: Buffer, offsetBytes: number): Promise<void>
  /** Reads the old snapshot's bytes when the writer has them (apply from a COW). */
  readOld?: (target: Buffer, offsetBytes: number) => Promise<void>
}

/** Where a content check hands the old bytes it read: each byte of the write's runs once, any order. */
export interface OldContentSink {
  put(data: Buffer, offsetBytes: number): Promise<void>
}

export interface WriteJournal {
  /**
   * Called with TARGET locked, before anything is read for the content check:
   * 'skip' when TARGET already holds `to` (nothing is written, success), or
   * throws when TARGET holds another base than `from`.
   */
  checkIdentity(write: { from: SnapshotIdentity; to: SnapshotIdentity; full: boolean }): Promise<'write' | 'skip'>
  /**
   * Called before the content check: where the check hands every old byte it
   * reads, so that TARGET is read once for both (null when the journal needs
   * none). A check that cannot give every byte gives none.
   */
  oldContentSink(write: { from: SnapshotIdentity; to: SnapshotIdentity; runs: ChunkRuns }): Promise<OldContentSink | null>
  /** Called after the content check, before the first write: records what will be overwritten, flushed. */
  beforeWrite(plan: WritePlan): Promise<void>
  /** Called when the write stops before beforeWrite returned (refused, failed): drops what the sink was given. */
  abandon(): Promise<void>
  /** Called once TARGET is written and flushed. */
  afterWrite(): Promise<void>
}
