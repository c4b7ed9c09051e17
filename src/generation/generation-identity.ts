// Which snapshots a generation joins: the one its delta starts from (the
// older snapshot, whose COW lists the changes: what the backup must hold) and
// the one it leads to (the newer snapshot, the data source). Every writer
// checks these against what the target holds before it writes a byte.

/** A snapshot as a backup history names it: its name, and its UUID where the system has one (LVM). */
export interface SnapshotIdentity {
  name: string | null
  uuid: string | null
}

/** The two ends of a generation. */
export interface GenerationIdentities {
  from: SnapshotIdentity
  to: SnapshotIdentity
}

/** A snapshot nothing is known of. */
export const UNKNOWN_SNAPSHOT: SnapshotIdentity = Object.freeze({ name: null, uuid: null })

/** True when `a` and `b` are known to be different snapshots: by UUID when both have one, else by name when both have one. */
export function knownDifferent(a: SnapshotIdentity, b: SnapshotIdentity): boolean {
  if (a.uuid !== null && b.uuid !== null) return a.uuid !== b.uuid
  if (a.name !== null && b.name !== null) return a.name !== b.name
  return false
}

/** True when `a` and `b` are known to be the same snapshot (the same rule as knownDifferent). */
export function knownSame(a: SnapshotIdentity, b: SnapshotIdentity): boolean {
  if (a.uuid !== null && b.uuid !== null) return a.uuid === b.uuid
  if (a.name !== null && b.name !== null) return a.name === b.name
  return false
}

/** True when `a` and `b` are known to be the same snapshot, or record exactly the same (possibly nothing) of it: a history's own records. */
export function sameRecord(a: SnapshotIdentity, b: SnapshotIdentity): boolean {
  return knownSame(a, b) || (a.name === b.name && a.uuid === b.uuid)
}

/** "home-snap2 (uuid ...)" or "an unknown snapshot", for messages. */
export function describeSnapshot(s: SnapshotIdentity): string {
  if (s.name === null && s.uuid === null) return 'an unknown snapshot'
  if (s.uuid === null) return `${s.name}`
  return s.name === null ? `uuid ${s.uuid}` : `${s.name} (uuid ${s.uuid})`
}
