// Where metadata areas sit in a persistent COW device (see area_location() in
// the kernel's dm-snap-persistent.c): chunk 0 is the header, area a is at
// chunk 1 + (E + 1) * a, and the E data chunks of area a follow it.

/** Chunk index of metadata area `area`. */
export function areaChunk(area: number, exceptionsPerArea: number): number {
  return 1 + (exceptionsPerArea + 1) * area
}

/** True when `chunk` holds the header or a metadata area, so no exception may point at it. */
export function isMetadataChunk(chunk: number, exceptionsPerArea: number): boolean {
  return chunk === 0 || (chunk - 1) % (exceptionsPerArea + 1) === 0
}

/** Index of the area whose data chunks include `chunk` (a data chunk). */
export function areaOfDataChunk(chunk: number, exceptionsPerArea: number): number {
  return Math.floor((chunk - 1) / (exceptionsPerArea + 1))
}
