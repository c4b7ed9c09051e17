// Ceph's "rbd diff v1" format (what `rbd export-diff` writes and `rbd
// import-diff` reads; Ceph's doc/dev/rbd-diff.rst): the header line, then
// tagged records, little-endian:
//   'f' le32 length, from-snapshot name     'w' le64 offset, le64 length, data
//   't' le32 length, to-snapshot name       'z' le64 offset, le64 length (zeros)
//   's' le64 image size                     'e' end
// Metadata records come before the data records. The format has no checksums:
// a receiver can only check its structure.

export const RBD_DIFF_HEADER = Buffer.from('rbd diff v1\n', 'latin1')

export const RBD_TAG = {
  from: 0x66, // 'f'
  to: 0x74, // 't'
  size: 0x73, // 's'
  write: 0x77, // 'w'
  zero: 0x7a, // 'z'
  end: 0x65, // 'e'
} as const

/** Longest snapshot name accepted in an f/t record (Ceph's own names are far shorter). */
export const MAX_RBD_SNAP_NAME_BYTES = 4096

/** An f or t record. */
export function encodeSnapName(tag: typeof RBD_TAG.from | typeof RBD_TAG.to, name: string): Buffer {
  const bytes = Buffer.from(name, 'utf8')
  const b = Buffer.alloc(5 + bytes.length)
  b[0] = tag
  b.writeUInt32LE(bytes.length, 1)
  bytes.copy(b, 5)
  return b
}

/** The s record. */
export function encodeSize(sizeBytes: number): Buffer {
  const b = Buffer.alloc(9)
  b[0] = RBD_TAG.size
  b.writeBigUInt64LE(BigInt(sizeBytes), 1)
  return b
}

/** The 17 bytes that start a w record (its data follows) or make a z record. */
export function encodeExtent(tag: typeof RBD_TAG.write | typeof RBD_TAG.zero, offsetBytes: number, lengthBytes: number): Buffer {
  const b = Buffer.alloc(17)
  b[0] = tag
  b.writeBigUInt64LE(BigInt(offsetBytes), 1)
  b.writeBigUInt64LE(BigInt(lengthBytes), 9)
  return b
}

/** The e record. */
export function encodeEnd(): Buffer {
  return Buffer.from([RBD_TAG.end])
}

/** True when `prefix` (the first bytes of a stream) starts an rbd diff v1. */
export function isRbdDiff(prefix: Buffer): boolean {
  return prefix.length >= RBD_DIFF_HEADER.length && prefix.subarray(0, RBD_DIFF_HEADER.length).equals(RBD_DIFF_HEADER)
}
