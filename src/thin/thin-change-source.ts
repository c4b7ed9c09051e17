// The LVM-thin kind of change source: thin_delta compares two thin devices'
// mappings in the pool's metadata and lists every block mapped differently
// (different), mapped in the older one only (left_only: the newer reads
// zeros there, and a backup must get those zeros too) or in the newer one
// only (right_only). Every listed block is read from the newer snapshot,
// zeros included. The older snapshot's bytes, for the content check, are
// read from the older thin snapshot itself when it is given.
import { ChangeSource, OldContentReader } from '../map/change-source'
import { ChunkRuns } from '../map/chunk-runs'
import { RunKinds } from '../map/run-kinds'
import { FileSource } from '../io/file-source'
import { identityOfPath, NamedIdentity } from '../io/device-identity'
import { InvalidInputError } from '../errors'
import { runThinDelta } from './thin-delta-tool'
import { thinDeltaRuns } from './thin-delta-runs'
import { ThinDelta } from './thin-delta-xml'
import { ThinId } from './thin-id'

/** What info.json, `list` and the mount summary say of a thin delta. */
export interface ThinDescription {
  /** The pool ("vg0/pool"), or null for a metadata image read offline. */
  pool: string | null
  metadataPath: string
  /** Read through the pool's metadata snapshot (live), or from a quiet image. */
  metadataSnapshot: boolean
  fromThinId: number
  toThinId: number
  dataBlockSizeBytes: number
  /** Bytes of each kind thin_delta listed, clamped to the snapshot (known once the runs are built). */
  differentBytes: number | null
  leftOnlyBytes: number | null
  rightOnlyBytes: number | null
  /** The older snapshot, read for its bytes in the runs (the content check), or null. */
  olderSnapshotPath: string | null
}

export type ThinChangeSource = ChangeSource<'thin', ThinDescription>

export interface ThinChangeOptions {
  metadataPath: string
  fromId: ThinId
  toId: ThinId
  metadataSnapshot: boolean
  pool?: string
  /** The older thin snapshot's device or image, for its bytes in the runs. */
  olderSnapshotPath?: string
}

/** Runs thin_delta and returns its ranges as a change source. */
export async function openThinChangeSource(options: ThinChangeOptions): Promise<ThinChangeSource> {
  const delta = await runThinDelta({ metadataPath: options.metadataPath, left: options.fromId, right: options.toId, metadataSnapshot: options.metadataSnapshot })
  return thinChangeSource(delta, options)
}

/** A change source over thin_delta output already parsed. */
export async function thinChangeSource(delta: ThinDelta, options: ThinChangeOptions): Promise<ThinChangeSource> {
  // The metadata and the older snapshot are read too: a copy must never be written onto either.
  const inputs: NamedIdentity[] = []
  for (const p of [options.metadataPath, options.olderSnapshotPath]) {
    const identity = p === undefined ? undefined : await identityOfPath(p)
    if (p !== undefined && identity !== undefined) inputs.push({ path: p, identity })
  }
  const description: ThinDescription = {
    pool: options.pool ?? null,
    metadataPath: options.metadataPath,
    metadataSnapshot: options.metadataSnapshot,
    fromThinId: options.fromId,
    toThinId: options.toId,
    dataBlockSizeBytes: delta.dataBlockSizeSectors * 512,
    differentBytes: null,
    leftOnlyBytes: null,
    rightOnlyBytes: null,
    olderSnapshotPath: options.olderSnapshotPath ?? null,
  }
  let kinds: RunKinds | null = null
  return {
    kind: 'thin',
    path: options.metadataPath,
    description,
    inputs,
    olderSnapshotDevice: undefined,
    runsFor: (snapshot) => {
      const built = thinDeltaRuns(delta, snapshot ? snapshot.sizeBytes : Number.MAX_SAFE_INTEGER)
      description.differentBytes = built.totals.different.bytes
      description.leftOnlyBytes = built.totals.left_only.bytes
      description.rightOnlyBytes = built.totals.right_only.bytes
      kinds = built.kinds
      return built.runs
    },
    runKinds: () => kinds,
    oldContent: (runs) => olderSnapshotReader(options, runs),
  }
}

// The older thin snapshot holds its own bytes everywhere: no table needed, only the device.
function olderSnapshotReader(options: ThinChangeOptions, runs: ChunkRuns): OldContentReader {
  let opened: Promise<FileSource> | undefined
  const open = () => {
    if (!options.olderSnapshotPath) {
      throw new InvalidInputError(
        `the thin delta ${options.fromId} -> ${options.toId} of ${options.metadataPath} has no older snapshot to read its old bytes from: ` +
          'give it (--base-snapshot PATH) to check a target before writing',
      )
    }
    opened ??= FileSource.open(options.olderSnapshotPath).then((s) => {
      if (s.sizeBytes !== runs.deviceSizeBytes) {
        throw new InvalidInputError(`${options.olderSnapshotPath} has ${s.sizeBytes} bytes, the newer snapshot ${runs.deviceSizeBytes}: it is not the older snapshot of this delta`)
      }
      return s
    })
    return opened
  }
  return {
    readOld: async (target, offsetBytes) => (await open()).readInto(target, offsetBytes),
    close: async () => {
      if (opened) await (await opened.catch(() => undefined))?.close()
    },
  }
}
