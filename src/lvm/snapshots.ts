// The snapshots of an origin volume, oldest first, each with the reason it
// cannot be used (if any) from both LVM's metadata and the kernel. A classic
// origin has COW snapshots; a thin origin has thin snapshots in its pool
// (thin-snapshots.ts). The two are never mixed in one rotation: a classic
// snapshot of a thin LV drops the discards thin_delta would report.
import { NotFoundError, UsageError } from '../errors'
import { SECTOR_BYTES } from '../units'
import { committedExceptions, readSnapshotStatus } from './dm-status'
import { byCreation, listVolumes, LvRecord } from './lvs-report'
import { formatVolumeRef, VolumeRef } from './volume-ref'
import { SnapshotIdentity } from '../generation/generation-identity'
import { findThinSnapshots, isThinVolume, ThinPoolHealth, ThinSnapshotInfo } from './thin-snapshots'

export interface CowSnapshotInfo {
  kind: 'cow'
  lv: LvRecord
  /** /dev/mapper/...-cow: the exception store. */
  cowPath: string
  /** /dev/mapper/...: the point-in-time view of the origin. */
  snapshotPath: string
  /** Why this snapshot must not be used, or null when it is usable. */
  problem: string | null
  /** Exceptions the kernel reports committed (dmsetup status); null when unknown. */
  kernelExceptions: number | null
}

export type SnapshotInfo = CowSnapshotInfo | ThinSnapshotInfo

export type OriginSnapshots =
  | { kind: 'cow'; origin: LvRecord; /** Oldest first (creation time, then name). */ snapshots: CowSnapshotInfo[] }
  | { kind: 'thin'; origin: LvRecord; snapshots: ThinSnapshotInfo[]; pool: ThinPoolHealth }

/** A snapshot as lvs names it: its LV name and the LV UUID lvs prints. */
export function lvIdentity(snapshot: SnapshotInfo): SnapshotIdentity {
  return { name: snapshot.lv.name, uuid: snapshot.lv.uuid }
}

/** Lists `ref`'s snapshots (COW or thin, by the origin's kind); refuses an LV that does not exist. */
export async function findSnapshots(ref: VolumeRef): Promise<OriginSnapshots> {
  const volumes = await listVolumes(ref.vg)
  const origin = volumes.find((v) => v.name === ref.lv)
  if (!origin) throw new NotFoundError(`logical volume ${formatVolumeRef(ref)} not found (lvs lists no such LV in VG ${ref.vg})`)
  if (isClassicSnapshot(origin)) {
    throw new UsageError(`${formatVolumeRef(ref)} is itself a snapshot (of ${origin.origin}); give its origin volume`)
  }
  if (isThinVolume(origin)) return { kind: 'thin', origin, ...(await findThinSnapshots(origin, volumes)) }
  const snapshots = volumes.filter((v) => v.origin === ref.lv && isClassicSnapshot(v)).sort(byCreation)
  return { kind: 'cow', origin, snapshots: await Promise.all(snapshots.map(describeSnapshot)) }
}

/** Thin snapshots also have an origin but no COW device: only 's'/'S' types are classic. */
function isClassicSnapshot(v: LvRecord): boolean {
  return v.attr[0] === 's' || v.attr[0] === 'S'
}

async function describeSnapshot(lv: LvRecord): Promise<CowSnapshotInfo> {
  const info = { kind: 'cow' as const, lv, cowPath: `${lv.dmPath}-cow`, snapshotPath: lv.dmPath }
  const fromAttr = attrProblem(lv)
  if (fromAttr) return { ...info, problem: fromAttr, kernelExceptions: null }
  const status = await readSnapshotStatus(lv.dmPath.replace(/^.*\//, ''))
  if (status.state !== 'ok') {
    return { ...info, problem: `the kernel reports it ${status.state} (dmsetup status: ${status.text})${status.state === 'merging' ? '' : FULL_COPY_HINT}`, kernelExceptions: null }
  }
  return { ...info, problem: null, kernelExceptions: committedExceptions(status, lv.chunkSizeBytes / SECTOR_BYTES) }
}

const FULL_COPY_HINT = ': its exception table is incomplete, so the next backup needs a full copy'

function attrProblem(lv: LvRecord): string | null {
  const state = lv.attr[4]
  if (lv.attr[0] === 'S') return 'it is being merged into its origin (lvconvert --merge)'
  if (state === 'I' || state === 'S') return `LVM marks it invalid (lv_attr ${lv.attr})${FULL_COPY_HINT}`
  if (lv.snapPercent !== null && lv.snapPercent >= 100) return `its COW store is full (snap_percent ${lv.snapPercent})${FULL_COPY_HINT}`
  if (state === 'm' || state === 'M') return `a merge into its origin failed (lv_attr ${lv.attr})`
  if (state !== 'a') return `it is not active (lv_attr ${lv.attr}); activate it with lvchange -ay ${lv.vg}/${lv.name}`
  return null
}
