// Which snapshots a generation joins, from what is known of them: what the
// caller read from lvs, else what device-mapper says the devices are (a COW's
// LV is the older snapshot), else the names the user gave (--base-name, and
// the generation's name for the newer one). Pure: the devices are read by
// the caller (src/io/dm-identity.ts), so the rules are tested without them.
import { InvalidInputError, UsageError } from '../errors'
import { describeSnapshot, GenerationIdentities, knownSame, SnapshotIdentity } from './generation-identity'

export interface KnownEnds {
  cowPath: string
  /** --base-name: the older snapshot's name, where the COW does not say it. */
  baseName?: string
  /** From lvs, where the caller knows them. */
  from?: SnapshotIdentity
  to?: SnapshotIdentity
  /** What device-mapper says the COW and the snapshot are; undefined for files and plain disks. */
  cowDevice?: SnapshotIdentity
  snapshotDevice?: SnapshotIdentity
}

/** The older snapshot: from lvs, else the COW's device, else --base-name; refuses a --base-name the COW contradicts. */
export function resolveFrom(known: KnownEnds): SnapshotIdentity {
  if (known.baseName !== undefined) {
    checkBaseName(known.baseName)
    const named = known.from ?? known.cowDevice
    if (named?.name != null && named.name !== known.baseName) {
      throw new UsageError(
        `--base-name ${known.baseName}: the COW ${known.cowPath} belongs to the snapshot ${named.name}; ` +
          `leave --base-name out, or give the COW of ${known.baseName}`,
      )
    }
  }
  return known.from ?? known.cowDevice ?? { name: known.baseName ?? null, uuid: null }
}

/** Both ends of a generation named `name`; refuses one that would start and end at the same snapshot. */
export function resolveIdentities(known: KnownEnds, name: string): GenerationIdentities {
  const from = resolveFrom(known)
  const to = known.to ?? known.snapshotDevice ?? { name, uuid: null }
  if (knownSame(from, to)) {
    const what = `the COW ${known.cowPath} and the snapshot both are ${describeSnapshot(to)}`
    // Named by the user: a usage mistake; named by the devices: the wrong device.
    if (known.baseName !== undefined && known.cowDevice === undefined && known.from === undefined) {
      throw new UsageError(`--base-name ${known.baseName} is also the generation's name: ${what}. --base-name names the older snapshot, the one the backup holds`)
    }
    throw new InvalidInputError(`${what}: a generation goes from an older snapshot (its COW) to a newer one. Give the COW of the snapshot before it`)
  }
  return { from, to }
}

// The name goes into info.json and the stream's header, whose snapshot slot
// holds 255 bytes (MAX_SNAPSHOT_NAME_BYTES in src/stream/snapshot-slot.ts; not
// imported: the stream is built on generations, not the other way round).
export const MAX_BASE_NAME_BYTES = 255

function checkBaseName(name: string): void {
  const bytes = Buffer.byteLength(name, 'utf8')
  if (name === '' || name.includes('\0') || bytes > MAX_BASE_NAME_BYTES) {
    throw new UsageError(`--base-name "${name.slice(0, 40)}": expected a snapshot name of 1 to ${MAX_BASE_NAME_BYTES} bytes (UTF-8) without NUL, got ${bytes} bytes`)
  }
}
