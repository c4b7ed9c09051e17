// The thin snapshots of a thin origin: the thin LVs of the same pool whose
// origin it is, oldest first. An inactive snapshot is usable (it is
// activated read-only when read, thin-activation.ts); one that is active
// and writable is not, since a write after the delta was taken makes it
// stale. The pool's health decides for all of them at once.
import { ThinId, toThinId } from '../thin/thin-id'
import { byCreation, LvRecord } from './lvs-report'
import { findThinPool, ThinPool } from './thin-pool'
import { readThinPoolStatus, thinPoolProblem } from './thin-pool-status'
import { VolumeRef } from './volume-ref'

export interface ThinSnapshotInfo {
  kind: 'thin'
  lv: LvRecord
  thinId: ThinId
  pool: VolumeRef
  /** /dev/mapper/...: readable once active. */
  snapshotPath: string
  problem: string | null
}

export interface ThinPoolHealth {
  pool: ThinPool
  /** Why no snapshot may be made in the pool now, or null. */
  problem: string | null
  /** False when even the existing snapshots' mappings cannot be trusted (needs_check, failed). */
  metadataTrusted: boolean
}

/** A thin volume or thin snapshot: lv_attr type 'V' and a pool. */
export function isThinVolume(v: LvRecord): boolean {
  return v.attr[0] === 'V' && v.poolLv !== '' && v.thinId !== null
}

/** `origin`'s thin snapshots among `volumes` (one lvs report of its VG), and its pool's health. */
export async function findThinSnapshots(origin: LvRecord, volumes: readonly LvRecord[]): Promise<{ snapshots: ThinSnapshotInfo[]; pool: ThinPoolHealth }> {
  const pool = await findThinPool({ vg: origin.vg, lv: origin.poolLv })
  const problem = thinPoolProblem(await readThinPoolStatus(pool.tpoolDmName))
  const health: ThinPoolHealth = { pool, problem: problem?.reason ?? null, metadataTrusted: problem?.metadataTrusted ?? true }
  const snapshots = volumes
    .filter((v) => v.origin === origin.name && isThinVolume(v) && v.poolLv === origin.poolLv)
    .sort(byCreation)
    .map((lv) => ({
      kind: 'thin' as const,
      lv,
      thinId: toThinId(String(lv.thinId), `lvs thin_id of ${lv.vg}/${lv.name}`),
      pool: pool.ref,
      snapshotPath: lv.dmPath,
      problem: health.metadataTrusted ? attrProblem(lv) : `its pool's mappings cannot be trusted: ${health.problem}`,
    }))
  return { snapshots, pool: health }
}

function attrProblem(lv: LvRecord): string | null {
  if (lv.attr[4] === 'a' && lv.attr[1] === 'w') {
    return `it is active and writable (lv_attr ${lv.attr}): a write to it would make a delta stale; make it read-only with lvchange -pr ${lv.vg}/${lv.name}`
  }
  return null
}
