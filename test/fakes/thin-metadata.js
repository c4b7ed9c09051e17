// The on-disk side of the simulated thin pool (thin-sim.js): its metadata
// image is written by the real thin_restore from the model, so the real
// thin_delta, thin_dump and thin_check read it as they would a pool's tmeta;
// a metadata snapshot is then written into that image the way dm-thin's
// reserve_metadata_snap does (drivers/md/dm-thin-metadata.c), because
// thin_restore cannot write one.
//
// Layout used (persistent-data, little-endian, 4 KiB metadata blocks):
//   superblock (block 0): csum u32 @0, flags @4, blocknr u64 @8, magic u64 @32,
//     held_root u64 @56, data space map root @64 (128 bytes), metadata space map
//     root @192 (128 bytes: nr_blocks, nr_allocated, bitmap_root, ref_count_root),
//     data_mapping_root u64 @320, device_details_root u64 @328
//   metadata space map: bitmap_root is one index block (csum @0, blocknr @8, then
//     16-byte entries from @16: bitmap blocknr u64, nr_free u32, none_free_before u32),
//     each bitmap block (csum @0, blocknr @8) holds 2-bit reference counts from @16;
//     3 means "more than 2, see the ref count btree".
//   checksums: crc32c seeded with ~0 and not inverted at the end, of the block
//     from byte 4 on, xor a constant per block type.
'use strict'
const fs = require('fs')
const { spawnSync } = require('child_process')

const BLOCK = 4096
const MAGIC = 27022010n
const SUPERBLOCK_XOR = 160774
const INDEX_XOR = 160478
const BITMAP_XOR = 240779
const BITMAP_HEADER = 16
const ENTRIES_PER_BITMAP = (BLOCK - BITMAP_HEADER) * 4

// Castagnoli polynomial, reflected: the CRC the kernel's crc32c() computes.
const CRC_TABLE = new Uint32Array(256)
for (let n = 0; n < 256; n++) {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
  CRC_TABLE[n] = c
}

/** dm_bm_checksum: crc32c(~0, data) without the final inversion, xor `xor`. */
function blockChecksum(data, xor) {
  let c = 0xffffffff
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8)
  return (c ^ xor) >>> 0
}

// Stamps a block's own location and checksum, as the kernel's validators do before writing it.
function seal(block, location, xor) {
  block.writeBigUInt64LE(BigInt(location), 8)
  block.writeUInt32LE(blockChecksum(block.subarray(4), xor), 0)
}

function readBlock(fd, location, xor, what) {
  const block = Buffer.alloc(BLOCK)
  if (fs.readSync(fd, block, 0, BLOCK, location * BLOCK) !== BLOCK) throw new Error(`thin metadata: ${what} block ${location} is past the end of the image`)
  if (block.readUInt32LE(0) !== blockChecksum(block.subarray(4), xor) || Number(block.readBigUInt64LE(8)) !== location) {
    throw new Error(`thin metadata: ${what} block ${location} has a bad checksum or location`)
  }
  return block
}

/**
 * The XML thin_dump prints and thin_restore reads, for `pool` (thin-sim.js's
 * model). Consecutive virtual blocks on consecutive data blocks with the same
 * time become one range_mapping, as thin_dump writes them.
 */
function metadataXml(pool) {
  const out = [
    `<superblock uuid="" time="${pool.time}" transaction="${pool.transaction}" flags="0" version="2" data_block_size="${pool.blockBytes / 512}" nr_data_blocks="${pool.dataBlocks}">`,
  ]
  for (const id of Object.keys(pool.devices).map(Number).sort((a, b) => a - b)) {
    const dev = pool.devices[id]
    const mapped = dev.map.filter((b) => b >= 0).length
    out.push(`  <device dev_id="${id}" mapped_blocks="${mapped}" transaction="${dev.transaction}" creation_time="${dev.creationTime}" snap_time="${dev.snapTime}">`)
    for (let v = 0; v < dev.map.length; ) {
      if (dev.map[v] < 0) {
        v++
        continue
      }
      let n = 1
      while (v + n < dev.map.length && dev.map[v + n] === dev.map[v] + n && dev.time[v + n] === dev.time[v]) n++
      out.push(
        n === 1
          ? `    <single_mapping origin_block="${v}" data_block="${dev.map[v]}" time="${dev.time[v]}"/>`
          : `    <range_mapping origin_begin="${v}" data_begin="${dev.map[v]}" length="${n}" time="${dev.time[v]}"/>`,
      )
      v += n
    }
    out.push('  </device>')
  }
  out.push('</superblock>', '')
  return out.join('\n')
}

/**
 * Rewrites the metadata image at `imagePath` (`metadataBytes` long) from the
 * model with the real thin_restore. It writes a new file next to it and renames
 * it over the old one, so a failure leaves the old image; the tools open it with
 * O_DIRECT, so it must be on a filesystem that takes it (a real disk).
 */
function restoreMetadata(pool, imagePath, metadataBytes) {
  const xmlPath = `${imagePath}.xml`
  const newPath = `${imagePath}.new`
  fs.writeFileSync(xmlPath, metadataXml(pool))
  // thin_restore writes into an existing file and takes the metadata size from its length.
  fs.writeFileSync(newPath, '')
  fs.truncateSync(newPath, metadataBytes)
  const r = spawnSync('thin_restore', ['-q', '-i', xmlPath, '-o', newPath], { encoding: 'utf8' })
  fs.rmSync(xmlPath)
  if (r.error || r.status !== 0) {
    fs.rmSync(newPath, { force: true })
    const why = r.error ? r.error.message : `${r.stderr}${r.stdout}`.trim()
    throw new Error(`thin_restore of the simulated pool's metadata failed (${why}); the thin tools need thin-provisioning-tools and a directory on a real disk (O_DIRECT)`)
  }
  fs.renameSync(newPath, imagePath)
}

// The metadata space map of an open image: reference counts of metadata blocks, changed in place.
class MetadataSpaceMap {
  constructor(fd, superblock) {
    this.fd = fd
    this.superblock = superblock
    this.nrBlocks = Number(superblock.readBigUInt64LE(192))
    this.indexLocation = Number(superblock.readBigUInt64LE(208))
    this.index = readBlock(fd, this.indexLocation, INDEX_XOR, 'space map index')
    this.bitmaps = new Map()
  }
  bitmap(i) {
    if (!this.bitmaps.has(i)) this.bitmaps.set(i, readBlock(this.fd, Number(this.index.readBigUInt64LE(16 + i * 16)), BITMAP_XOR, 'space map bitmap'))
    return this.bitmaps.get(i)
  }
  // Entry e of a bitmap: two bits at bit 2*(e % 32) of 64-bit word e / 32, the high bit first.
  count(b) {
    const bits = this.bitmap(Math.floor(b / ENTRIES_PER_BITMAP))
    const e = b % ENTRIES_PER_BITMAP
    const byte = bits[BITMAP_HEADER + (e >> 2)]
    const shift = (e & 3) * 2
    return (((byte >> shift) & 1) << 1) | ((byte >> (shift + 1)) & 1)
  }
  /** The first free block, searched from each bitmap's none_free_before hint like the kernel's allocator. */
  findFree() {
    for (let i = 0; i * ENTRIES_PER_BITMAP < this.nrBlocks; i++) {
      if (this.index.readUInt32LE(16 + i * 16 + 8) === 0) continue
      for (let b = i * ENTRIES_PER_BITMAP + this.index.readUInt32LE(16 + i * 16 + 12); b < Math.min(this.nrBlocks, (i + 1) * ENTRIES_PER_BITMAP); b++) {
        if (this.count(b) === 0) return b
      }
    }
    throw new Error('thin metadata: no free metadata block for the metadata snapshot (the kernel would fail with ENOSPC)')
  }
  /** Adds one reference to block b, keeping nr_free, none_free_before and nr_allocated as sm_ll_inc does. */
  inc(b) {
    const old = this.count(b)
    // Thin_restore's fresh trees are referenced once; a count past 2 would live in the ref count btree.
    if (old >= 2) throw new Error(`thin metadata: block ${b} already has ${old} references; the fake only handles counts up to 2`)
    const bits = this.bitmap(Math.floor(b / ENTRIES_PER_BITMAP))
    const e = b % ENTRIES_PER_BITMAP
    const shift = (e & 3) * 2
    const at = BITMAP_HEADER + (e >> 2)
    const now = old + 1
    bits[at] = (bits[at] & ~(3 << shift)) | ((now >> 1) << shift) | ((now & 1) << (shift + 1))
    if (old === 0) {
      const entry = 16 + Math.floor(b / ENTRIES_PER_BITMAP) * 16
      this.index.writeUInt32LE(this.index.readUInt32LE(entry + 8) - 1, entry + 8)
      if (this.index.readUInt32LE(entry + 12) === e) this.index.writeUInt32LE(e + 1, entry + 12)
      this.superblock.writeBigUInt64LE(this.superblock.readBigUInt64LE(200) + 1n, 200)
    }
  }
  write() {
    for (const [i, bits] of this.bitmaps) {
      const location = Number(this.index.readBigUInt64LE(16 + i * 16))
      seal(bits, location, BITMAP_XOR)
      fs.writeSync(this.fd, bits, 0, BLOCK, location * BLOCK)
    }
    seal(this.index, this.indexLocation, INDEX_XOR)
    fs.writeSync(this.fd, this.index, 0, BLOCK, this.indexLocation * BLOCK)
  }
}

/**
 * reserve_metadata_snap on the image: a copy of the superblock in a free block
 * (space map roots wiped, as the kernel does, since it is never committed), one
 * more reference to the copy and to the two trees it shares, and the
 * superblock's held_root pointing at the copy. Returns the copy's block number,
 * which `dmsetup status` shows and `thin_delta -m` reads.
 */
function reserveMetadataSnapshot(imagePath) {
  const fd = fs.openSync(imagePath, 'r+')
  try {
    const superblock = readBlock(fd, 0, SUPERBLOCK_XOR, 'superblock')
    if (superblock.readBigUInt64LE(32) !== MAGIC) throw new Error('thin metadata: the superblock has no thin-pool magic')
    if (superblock.readBigUInt64LE(56) !== 0n) throw new Error('thin metadata: a metadata snapshot is held already')
    const sm = new MetadataSpaceMap(fd, superblock)
    const held = sm.findFree()
    const copy = Buffer.from(superblock)
    copy.fill(0, 64, 320)
    seal(copy, held, SUPERBLOCK_XOR)
    sm.inc(held)
    sm.inc(Number(superblock.readBigUInt64LE(320)))
    sm.inc(Number(superblock.readBigUInt64LE(328)))
    fs.writeSync(fd, copy, 0, BLOCK, held * BLOCK)
    sm.write()
    superblock.writeBigUInt64LE(BigInt(held), 56)
    // The superblock last: until it names the copy, nothing refers to it.
    seal(superblock, 0, SUPERBLOCK_XOR)
    fs.writeSync(fd, superblock, 0, BLOCK, 0)
    fs.fsyncSync(fd)
    return held
  } finally {
    fs.closeSync(fd)
  }
}

/** Metadata blocks in use and in all, from the superblock's metadata space map root (what the kernel's status reports). */
function metadataUsage(imagePath) {
  const fd = fs.openSync(imagePath, 'r')
  try {
    const superblock = readBlock(fd, 0, SUPERBLOCK_XOR, 'superblock')
    return { used: Number(superblock.readBigUInt64LE(200)), total: Number(superblock.readBigUInt64LE(192)) }
  } finally {
    fs.closeSync(fd)
  }
}

module.exports = { restoreMetadata, reserveMetadataSnapshot, metadataUsage }
