// The generations of a logical volume: one delta per pair of adjacent
// snapshots (the older snapshot's COW, or thin_delta of the pair, and the
// newer snapshot's data) plus the newest snapshot in full. Unusable
// snapshots become error entries, never a wrong delta.
import { Generation, openGeneration } from '../generation/generation'
import { openLiveThinPair } from '../thin/thin-generation'
import { MetadataSnapshotJournal } from './metadata-snapshot'
import { activateThinReadOnly } from './thin-activation'
import { findThinVolume } from './thin-pool'
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

/**
 * Opens every planned generation; one that fails to open (bad COW,
 * unreadable device) becomes an error entry. Thin ones one at a time: a
 * pool has one metadata snapshot, which each thin_delta run reserves.
 */
export async function openGenerationEntries(plans: GenerationPlan[]): Promise<RootEntry[]> {
  if (!plans.some(isThinPlan)) return Promise.all(plans.map(openEntry))
  const entries: RootEntry[] = []
  for (const plan of plans) entries.push(await openEntry(plan))
  return entries
}

function isThinPlan(plan: GenerationPlan): boolean {
  return (plan.kind === 'delta' && plan.newer.kind === 'thin') || (plan.kind === 'full' && plan.snapshot.kind === 'thin')
}

async function openEntry(plan: GenerationPlan): Promise<RootEntry> {
  try {
    if (plan.kind === 'delta') return { kind: 'delta', generation: await openPairGeneration(plan.older, plan.newer, plan.name) }
    if (plan.kind === 'full') {
      const { lv } = plan.snapshot
      const snapshotPath = await readablePath(plan.snapshot)
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

/** The delta from `older` into `newer`, two snapshots of one origin, named `name`. */
export async function openPairGeneration(older: SnapshotInfo, newer: SnapshotInfo, name: string, journal?: MetadataSnapshotJournal): Promise<Generation> {
  if (older.kind === 'cow') {
    return openGeneration({ cowPath: older.cowPath, snapshotPath: newer.snapshotPath, name, from: lvIdentity(older), to: lvIdentity(newer) })
  }
  const spec = await openLiveThinPair({ vg: older.lv.vg, lv: older.lv.name }, { vg: newer.lv.vg, lv: newer.lv.name }, journal)
  return openGeneration({ ...spec, name })
}

/** The device to read `snapshot` from; a thin snapshot is activated read-only first. */
export async function readablePath(snapshot: SnapshotInfo): Promise<string> {
  if (snapshot.kind === 'cow') return snapshot.snapshotPath
  return (await activateThinReadOnly(await findThinVolume({ vg: snapshot.lv.vg, lv: snapshot.lv.name }))).volume.dmPath
}

/** The mount's entries for `snapdelta mount --lv VG/LV`. */
export async function lvMountEntries(ref: VolumeRef): Promise<RootEntry[]> {
  return openGenerationEntries((await planVolumeGenerations(ref)).plans)
}
