// Where apply, verify, send, the stream, the bmap and the backup read a
// generation's changed bytes from, whatever holds them: an opened Generation
// (its changes + the new snapshot, here), a generation directory on a mount
// or a copy of one (src/copy/generation-dir-source.ts), or a snapshot read
// whole (src/backup/volume-source.ts). All answer the same question: the new
// snapshot's bytes inside the runs.
import { BlockSource } from '../io/block-source'
import { NamedIdentity } from '../io/device-identity'
import { ChunkRuns } from '../map/chunk-runs'
import { RunKinds } from '../map/run-kinds'
import { BaseSums } from '../format/base-sums-text'
import { Generation } from './generation'
import { GenerationIdentities } from './generation-identity'

export interface GenerationSource {
  /** What to name in messages: a directory or "COW + snapshot". */
  readonly description: string
  readonly runs: ChunkRuns
  /** The kind of each run where known: runs of the zero kind read as zeros, and travel as zero records. */
  readonly kinds?: RunKinds | null
  /** Fills `target` with the new snapshot's bytes at `offsetBytes`; the range must lie inside one run. */
  readChanged(target: Buffer, offsetBytes: number): Promise<void>
  /** The whole new snapshot when this source has it (full.img, or the snapshot itself). */
  readonly full: BlockSource | undefined
  /** Every file or device the generation is read from or names (snapshot, COW, images): never a TARGET. */
  readonly inputs: readonly NamedIdentity[]
  /** The snapshot the delta starts from and the one it leads to, as far as known. */
  readonly identities: GenerationIdentities
  /**
   * Fills `target` with the OLD snapshot's bytes at `offsetBytes` (inside one
   * run): what a backup holding the base has there. Present only where the
   * source can read them (it has the old snapshot's COW).
   */
  readonly readOld?: (target: Buffer, offsetBytes: number) => Promise<void>
  /**
   * The parsed base.sha256 of a generation directory that cannot read the old
   * snapshot (a copy): rejects when the file is missing or unusable.
   */
  readonly readBaseSums?: () => Promise<BaseSums>
  close(): Promise<void>
}

/**
 * A source over an opened Generation; closing it closes what readOld opened
 * (the old snapshot's COW), and leaves the Generation open.
 */
export function sourceFromGeneration(generation: Generation): GenerationSource {
  const { runs, changes } = generation
  const old = changes.oldContent(runs)
  return {
    description: `${changes.path} + ${generation.snapshotPath}`,
    runs,
    kinds: generation.kinds,
    readChanged: (target, offsetBytes) => generation.snapshot.readInto(target, offsetBytes),
    full: generation.snapshot,
    inputs: generationInputs(generation),
    identities: generation.identities,
    readOld: old.readOld,
    close: old.close,
  }
}

// The snapshot and what the changes are read from, as far as their identities are known.
function generationInputs(generation: Generation): NamedIdentity[] {
  const inputs: NamedIdentity[] = []
  if (generation.snapshot.identity) inputs.push({ path: generation.snapshotPath, identity: generation.snapshot.identity })
  inputs.push(...generation.changes.inputs)
  return inputs
}
