// The generations of a logical volume: one delta per pair of adjacent
// snapshots (older snapshot's COW, newer snapshot's data) plus the newest
// snapshot in full. Unusable snapshots become error entries, never a wrong delta.
import { openGeneration } from '../generation/generation'
import { FileSource } from '../io/file-source'
import { RootEntry } from '../generation/root-entries'
import { findSnapshots, lvIdentity, OriginSnapshots, SnapshotInfo } from './snapshots'
import { VolumeRef } from './volume-ref'

export type GenerationPlan =
  | { kind: 'delta'; name: string; older: SnapshotInfo; newer: SnapshotInfo }
  | { kind: 'full'; name: string; snapshot: SnapshotInfo }
  | { kind: 'error'; name: string; message: string }

/**
 * Names sort in time order under `ls`: a 4-digit sequence number, then the
 * snapshot names ("0001-s1..s2", "0002-s2..s3", "0003-s3" for the newest in full).
 */
export function planGenerations(snapshots: SnapshotInfo[]): GenerationPlan[] {
  const plans: GenerationPlan[] = []
  const seq = (i: number) => String(i + 1).padStart(4, '0')
  for (let i = 0; i + 1 < snapshots.length; i++) {
    const older = snapshots[i]
    const newer = snapshots[i + 1]
    const name = `${seq(i)}-${older.lv.name}..${newer.lv.name}`
    if (older.problem) {
      plans.push({ kind: 'error', name, message: `no delta from snapshot ${older.lv.vg}/${older.lv.name}: ${older.problem}` })
    } else if (newer.problem) {
      plans.push({ kind: 'error', name, message: `no delta into snapshot ${newer.lv.vg}/${newer.lv.name}: ${newer.problem}` })
    } else {
      plans.push({ kind: 'delta', name, older, newer })
    }
  }
  const newest = snapshots[snapshots.length - 1]
  if (newest) {
    const name = `${seq(snapshots.length - 1)}-${newest.lv.name}`
    plans.push(
      newest.problem
        ? { kind: 'error', name, message: `snapshot ${newest.lv.vg}/${newest.lv.name} cannot be read: ${newest.problem}` }
        : { kind: 'full', name, snapshot: newest },
    )
  }
  return plans
}

/** Finds `ref`'s snapshots and plans its generations. */
export async function planVolumeGenerations(ref: VolumeRef): Promise<OriginSnapshots & { plans: GenerationPlan[] }> {
  const found = await findSnapshots(ref)
  return { ...found, plans: planGenerations(found.snapshots) }
}

/** Opens every planned generation; one that fails to open (bad COW, unreadable device) becomes an error entry. */
export async function openGenerationEntries(plans: GenerationPlan[]): Promise<RootEntry[]> {
  return Promise.all(plans.map(openEntry))
}

async function openEntry(plan: GenerationPlan): Promise<RootEntry> {
  try {
    if (plan.kind === 'delta') {
      const spec = { cowPath: plan.older.cowPath, snapshotPath: plan.newer.snapshotPath, name: plan.name, from: lvIdentity(plan.older), to: lvIdentity(plan.newer) }
      return { kind: 'delta', generation: await openGeneration(spec) }
    }
    if (plan.kind === 'full') {
      const { lv, snapshotPath } = plan.snapshot
      return {
        kind: 'full',
        name: plan.name,
        snapshot: await FileSource.open(snapshotPath),
        info: { volume: `${lv.vg}/${lv.origin}`, snapshot: lv.name, to: lvIdentity(plan.snapshot), snapshotPath, createdAt: lv.createdAt.toISOString(), why: 'the newest snapshot: no newer one to take a delta into' },
      }
    }
    return plan
  } catch (err) {
    return { kind: 'error', name: plan.name, message: (err as Error).message }
  }
}

/** The mount's entries for `snapdelta mount --lv VG/LV`. */
export async function lvMountEntries(ref: VolumeRef): Promise<RootEntry[]> {
  return openGenerationEntries((await planVolumeGenerations(ref)).plans)
}
