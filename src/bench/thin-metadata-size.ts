// How big a metadata file thin_restore needs for a pool: it refuses to start
// when the file is too small, and a sparse file costs nothing for its unused
// blocks, so the estimate errs high.

/** Metadata block size (persistent-data's MD_BLOCK_SIZE, 4 KiB). */
const METADATA_BLOCK_BYTES = 4096
/** Entries of a full mapping btree leaf: (4096 - 32 header) / (8 key + 8 value) = 254, rounded down to a multiple of 3 (dm-btree). */
const LEAF_ENTRIES = 252
/** Reference counts a space map bitmap block holds: (4096 - 16 header) bytes of 2 bits each (dm-space-map-common). */
const BITMAP_ENTRIES = (METADATA_BLOCK_BYTES - 16) * 4
const MiB = 1 << 20

/** Bytes of metadata for devices of `mappingsPerDevice` mappings each over `nrDataBlocks`, rounded up to a MiB. */
export function thinMetadataSizeBytes(mappingsPerDevice: readonly number[], nrDataBlocks: number): number {
  let blocks = 0
  for (const mappings of mappingsPerDevice) {
    // Inserting in ascending order splits each full leaf in two: leaves end half full.
    const leaves = Math.ceil(mappings / (LEAF_ENTRIES / 2))
    // Interior levels, each at most 1/126 of the one below, plus each device's top-level entries.
    blocks += leaves + Math.ceil(leaves / 100) + 4
  }
  // The data space map: its bitmaps and their index (counts of 1 and 2 fit the bitmap: no overflow btree).
  blocks += 2 * Math.ceil(nrDataBlocks / BITMAP_ENTRIES) + 4
  // The metadata space map, superblock and device-details tree: a few blocks; then a quarter spare.
  const bytes = (blocks * 1.25 + 64) * METADATA_BLOCK_BYTES
  return Math.ceil(bytes / MiB) * MiB
}
