// A generation of two LVM thin snapshots, in the two forms the command line
// offers: live (--thin-from VG/S1 --thin-to VG/S2: both activated
// read-only, thin_delta run on the pool's metadata snapshot, reserved and
// released around it) or offline (--thin-meta FILE --from-id A --to-id B
// --snapshot S2: a metadata image or an inactive pool's metadata).
import { UsageError } from '../errors'
import { MetadataSnapshotJournal, withMetadataSnapshot } from '../lvm/metadata-snapshot'
import { activateThinReadOnly } from '../lvm/thin-activation'
import { findThinPool, findThinVolume } from '../lvm/thin-pool'
import { formatVolumeRef, parseVolumeRef, VolumeRef } from '../lvm/volume-ref'
import { SnapshotIdentity } from '../generation/generation-identity'
import { openThinChangeSource, thinChangeSource, ThinChangeSource } from './thin-change-source'
import { runThinDelta } from './thin-delta-tool'
import { toThinId } from './thin-id'

export interface ThinGenerationOptions {
  thinFrom?: string
  thinTo?: string
  thinMeta?: string
  fromId?: string
  toId?: string
  /** Offline: the newer snapshot's device or image. */
  snapshot?: string
  /** Offline: the older snapshot's device or image, for the content check. */
  baseSnapshot?: string
}

export interface ThinGenerationSpec {
  changes: ThinChangeSource
  snapshotPath: string
  from?: SnapshotIdentity
  to?: SnapshotIdentity
}

/** True when the options ask for a thin generation. */
export function wantsThin(options: ThinGenerationOptions): boolean {
  return [options.thinFrom, options.thinTo, options.thinMeta, options.fromId, options.toId].some((o) => o !== undefined)
}

/** The changes and the newer snapshot the thin options name; refuses a mix of the two forms, or a half of either. */
export async function openThinGeneration(options: ThinGenerationOptions): Promise<ThinGenerationSpec> {
  const live = options.thinFrom !== undefined || options.thinTo !== undefined
  const offline = options.thinMeta !== undefined || options.fromId !== undefined || options.toId !== undefined
  if (live && offline) throw new UsageError('give either --thin-from/--thin-to (a live pool) or --thin-meta/--from-id/--to-id (a metadata image), not both')
  if (live) return openLive(options)
  if (options.thinMeta === undefined || options.fromId === undefined || options.toId === undefined || options.snapshot === undefined) {
    throw new UsageError('a thin delta from a metadata image needs --thin-meta FILE --from-id A --to-id B --snapshot S2 (the newer thin snapshot)')
  }
  const changes = await openThinChangeSource({
    metadataPath: options.thinMeta,
    fromId: toThinId(options.fromId, '--from-id'),
    toId: toThinId(options.toId, '--to-id'),
    metadataSnapshot: false,
    olderSnapshotPath: options.baseSnapshot,
  })
  return { changes, snapshotPath: options.snapshot }
}

async function openLive(options: ThinGenerationOptions): Promise<ThinGenerationSpec> {
  if (options.thinFrom === undefined || options.thinTo === undefined) throw new UsageError('a live thin delta needs both --thin-from VG/S1 and --thin-to VG/S2')
  if (options.snapshot !== undefined || options.baseSnapshot !== undefined) {
    throw new UsageError('--snapshot and --base-snapshot go with --thin-meta: --thin-from/--thin-to read the snapshots themselves')
  }
  return openLiveThinPair(parseVolumeRef(options.thinFrom), parseVolumeRef(options.thinTo))
}

/**
 * The delta between two thin LVs of one pool, read live: both activated
 * read-only first, thin_delta run on the pool's metadata snapshot.
 * `journal` hears of the reservation (a backup records it, to release it
 * after a crash).
 */
export async function openLiveThinPair(olderRef: VolumeRef, newerRef: VolumeRef, journal?: MetadataSnapshotJournal): Promise<ThinGenerationSpec> {
  const [older, newer] = await Promise.all([findThinVolume(olderRef), findThinVolume(newerRef)])
  if (formatVolumeRef(older.pool) !== formatVolumeRef(newer.pool)) {
    throw new UsageError(
      `${formatVolumeRef(olderRef)} is in the thin pool ${formatVolumeRef(older.pool)}, ${formatVolumeRef(newerRef)} in ${formatVolumeRef(newer.pool)}: a thin delta compares two volumes of one pool`,
    )
  }
  if (older.thinId === newer.thinId) throw new UsageError(`${formatVolumeRef(olderRef)} and ${formatVolumeRef(newerRef)} are the same thin volume (id ${older.thinId})`)
  const pool = await findThinPool(older.pool)
  // Both read-only before the delta is taken: a write to either afterwards would make it stale.
  const [olderActive, newerActive] = [await activateThinReadOnly(older), await activateThinReadOnly(newer)]
  for (const v of [olderActive.volume, newerActive.volume]) {
    if (!v.readOnly) throw new UsageError(`${formatVolumeRef(v.ref)} is active and writable: a write to it would make the delta stale; make it read-only (lvchange -pr) first`)
  }
  const delta = await withMetadataSnapshot(
    pool,
    (held) => runThinDelta({ metadataPath: pool.metadataDmPath, left: older.thinId, right: newer.thinId, metadataSnapshot: true, signal: held.signal }),
    journal,
  )
  const changes = await thinChangeSource(delta, {
    metadataPath: pool.metadataDmPath,
    fromId: older.thinId,
    toId: newer.thinId,
    metadataSnapshot: true,
    pool: formatVolumeRef(pool.ref),
    olderSnapshotPath: olderActive.volume.dmPath,
  })
  return {
    changes,
    snapshotPath: newerActive.volume.dmPath,
    from: { name: older.ref.lv, uuid: older.uuid },
    to: { name: newer.ref.lv, uuid: newer.uuid },
  }
}
