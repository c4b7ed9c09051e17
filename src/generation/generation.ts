// One snapshot generation: the changes since the older snapshot (a
// ChangeSource: src/map/change-source.ts) over the newer snapshot's content.
// Everything the mount, map, apply and send show comes from here.
import path from 'path'
import { ChunkRuns } from '../map/chunk-runs'
import { RunKinds } from '../map/run-kinds'
import { BlockSource } from '../io/block-source'
import { FileSource } from '../io/file-source'
import { parseCowHeader, SNAP_MAGIC, SNAPSHOT_DISK_VERSION, COW_HEADER_BYTES } from '../format/cow-header'
import { InvalidInputError } from '../errors'
import { CowChangeSource, openCowChangeSource } from '../cow/cow-change-source'
import { ThinChangeSource } from '../thin/thin-change-source'
import { GenerationIdentities, SnapshotIdentity } from './generation-identity'
import { resolveIdentities } from './resolve-identities'
import { snapshotIdentityOfDevice } from '../io/dm-identity'

/** The change sources a generation can have, told apart by `kind`. */
export type GenerationChanges = CowChangeSource | ThinChangeSource

/** What a generation joins besides its changes. */
export interface GenerationEnds {
  /** The newer snapshot S2 (never the live origin). */
  snapshotPath: string
  /** Directory name; default: the snapshot's base name. */
  name?: string
  /** The older snapshot's name (what the backup holds), when it cannot be found from the devices (--base-name). */
  baseName?: string
  /** The snapshots' identities where the caller knows them (lvs); else they come from the devices, else from the names. */
  from?: SnapshotIdentity
  to?: SnapshotIdentity
}

export interface GenerationSpec extends GenerationEnds {
  /** The changes since the older snapshot S1, already read. */
  changes: GenerationChanges
}

/** The dm-snapshot form: the COW is read by openGeneration. */
export interface CowGenerationSpec extends GenerationEnds {
  /** COW device (or image) of the older snapshot S1. */
  cowPath: string
}

export interface Generation {
  readonly name: string
  /** The snapshot the delta starts from and the one it leads to. */
  readonly identities: GenerationIdentities
  /** Where the changes come from: what tells the runs and the older snapshot's bytes. */
  readonly changes: GenerationChanges
  readonly snapshotPath: string
  readonly runs: ChunkRuns
  /** The kind of each run, where the changes tell it (thin), else null. */
  readonly kinds: RunKinds | null
  /** Data source for every byte shown: the new snapshot. */
  readonly snapshot: BlockSource
  readonly openedAt: Date
  close(): Promise<void>
}

/** Default generation name for a snapshot path: its base name without ".img". */
export function defaultGenerationName(snapshotPath: string): string {
  return path.basename(snapshotPath).replace(/\.img$/, '') || 'generation'
}

/** Opens the snapshot over the changes (reading a COW's table first, O_DIRECT, when given its path); refuses any mismatch. */
export async function openGeneration(spec: GenerationSpec | CowGenerationSpec): Promise<Generation> {
  const changes = 'changes' in spec ? spec.changes : await openCowChangeSource(spec.cowPath)
  const snapshot = await FileSource.open(spec.snapshotPath)
  try {
    await refuseCowAsSnapshot(snapshot, changes.path)
    const runs = changes.runsFor(snapshot)
    const name = spec.name ?? defaultGenerationName(spec.snapshotPath)
    return {
      name,
      identities: await identitiesOf(spec, name, changes, snapshot.identity),
      changes,
      snapshotPath: spec.snapshotPath,
      runs,
      kinds: changes.runKinds(),
      snapshot,
      openedAt: new Date(),
      close: () => snapshot.close(),
    }
  } catch (err) {
    await snapshot.close()
    throw err
  }
}

// Passing the COW (or another snapshot's COW) as --snapshot gives a delta of
// metadata and saved chunks: detectable from its header, so refuse it.
async function refuseCowAsSnapshot(snapshot: BlockSource, changesPath: string): Promise<void> {
  if (snapshot.sizeBytes < COW_HEADER_BYTES) return
  const first = Buffer.alloc(COW_HEADER_BYTES)
  await snapshot.readInto(first, 0)
  const header = parseCowHeader(first)
  if (header.magic === SNAP_MAGIC && header.version === SNAPSHOT_DISK_VERSION) {
    throw new InvalidInputError(
      `${snapshot.path} starts with a snapshot COW header: it is a COW device, not a snapshot. ` +
        `Expected the new snapshot's device (e.g. /dev/mapper/vg-snap2, not /dev/mapper/vg-snap2-cow) ` +
        `as --snapshot, with ${changesPath} as --cow`,
    )
  }
}

// Device-mapper's names for the devices already open (their fstat), then the rules of resolve-identities.ts.
async function identitiesOf(ends: GenerationEnds, name: string, changes: GenerationChanges, snapshotIdentity: string | undefined): Promise<GenerationIdentities> {
  const [cowDevice, snapshotDevice] = await Promise.all([snapshotIdentityOfDevice(changes.olderSnapshotDevice), snapshotIdentityOfDevice(snapshotIdentity)])
  const { baseName, from, to } = ends
  return resolveIdentities({ cowPath: changes.path, baseName, from, to, cowDevice, snapshotDevice }, name)
}
