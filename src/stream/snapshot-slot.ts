// A snapshot identity ({name, uuid}) in a version-2 stream header: a fixed
// 388-byte slot, so the header keeps one size whatever the names are.
// Layout and rationale: docs/stream-format.md.
import { SnapshotIdentity } from '../generation/generation-identity'

export const SNAPSHOT_SLOT_BYTES = 388
/** Longest name a slot holds, in UTF-8 bytes (an LVM name is at most 127 characters). */
export const MAX_SNAPSHOT_NAME_BYTES = 255
/** Longest UUID a slot holds, in bytes (a device-mapper UUID is at most 128). */
export const MAX_SNAPSHOT_UUID_BYTES = 128
const NAME_AT = 4
const UUID_AT = NAME_AT + 256
const NAME_KNOWN = 1
const UUID_KNOWN = 2

/** The slot for `s`; throws RangeError when its name or UUID is longer than a slot holds. */
export function encodeSnapshotSlot(s: SnapshotIdentity): Buffer {
  const b = Buffer.alloc(SNAPSHOT_SLOT_BYTES)
  const name = Buffer.from(s.name ?? '', 'utf8')
  const uuid = Buffer.from(s.uuid ?? '', 'utf8')
  if (name.length > MAX_SNAPSHOT_NAME_BYTES) throw new RangeError(`the snapshot name "${s.name}" is ${name.length} bytes; a stream holds names of at most ${MAX_SNAPSHOT_NAME_BYTES} bytes`)
  if (uuid.length > MAX_SNAPSHOT_UUID_BYTES) throw new RangeError(`the snapshot UUID "${s.uuid}" is ${uuid.length} bytes; a stream holds UUIDs of at most ${MAX_SNAPSHOT_UUID_BYTES} bytes`)
  b[0] = (s.name !== null ? NAME_KNOWN : 0) | (s.uuid !== null ? UUID_KNOWN : 0)
  b[1] = name.length
  b[2] = uuid.length
  name.copy(b, NAME_AT)
  uuid.copy(b, UUID_AT)
  return b
}

/** Decodes a slot, or returns why it is not one (unknown flags, lengths over the limits, bytes past a length, invalid UTF-8). */
export function decodeSnapshotSlot(b: Buffer): SnapshotIdentity | string {
  const flags = b[0]
  const nameBytes = b[1]
  const uuidBytes = b[2]
  if ((flags & ~(NAME_KNOWN | UUID_KNOWN)) !== 0 || b[3] !== 0) return 'unknown snapshot flags'
  if (uuidBytes > MAX_SNAPSHOT_UUID_BYTES) return `a UUID of ${uuidBytes} bytes`
  if ((!(flags & NAME_KNOWN) && nameBytes > 0) || (!(flags & UUID_KNOWN) && uuidBytes > 0)) return 'a length for an unknown field'
  if (!isZero(b.subarray(NAME_AT + nameBytes, UUID_AT)) || !isZero(b.subarray(UUID_AT + uuidBytes, SNAPSHOT_SLOT_BYTES))) return 'bytes past a name or UUID'
  const name = utf8(b.subarray(NAME_AT, NAME_AT + nameBytes))
  const uuid = utf8(b.subarray(UUID_AT, UUID_AT + uuidBytes))
  if (name === undefined || uuid === undefined) return 'a name or UUID that is not UTF-8'
  return { name: flags & NAME_KNOWN ? name : null, uuid: flags & UUID_KNOWN ? uuid : null }
}

function isZero(b: Buffer): boolean {
  for (const byte of b) if (byte !== 0) return false
  return true
}

function utf8(b: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b)
  } catch {
    return undefined
  }
}
