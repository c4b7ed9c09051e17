// 64-bit little-endian counts in binary formats. Byte counts above 2^53
// cannot be real here; they decode as Infinity, which every consistency check
// (inside the device, ascending, equal to a total) then rejects.

/** The le64 at `at` of `b` as a number, or Infinity above Number.MAX_SAFE_INTEGER. */
export function readUInt64(b: Buffer, at: number): number {
  const v = b.readBigUInt64LE(at)
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v)
}
