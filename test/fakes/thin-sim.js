// A simulated LVM thin pool for the fake LVM tools (fake-lvm.js): a model of
// dm-thin's mappings (thin id -> virtual block -> data block, with dm-thin's
// mapping times), from which the real thin_restore writes the pool's metadata
// image after every change (thin-metadata.js), so the real thin_delta reads
// what dm-thin would have written. Thin LVs' device files hold what they read.
//
// Behaviour of dm-thin and LVM as measured in shared/docs/lvm-thin.md and as dm-thin's source has it:
// - a write maps every block it touches that is unmapped or shared to a newly
//   allocated data block; a block counts as shared when it was mapped before the
//   device's last snapshot (dm-thin decides by mapping time, not by reference
//   count); an unshared mapped block is written in place. With zeroing on, the
//   unwritten part of a newly mapped block reads zeros, of a copied one its old data.
// - a discard unmaps the blocks it covers whole and ignores partial ones; while a
//   thin LV has a classic (COW) snapshot, its discards are dropped.
// - a snapshot takes the next thin id (LVM: highest + 1), shares every mapping, and
//   bumps the pool's time; creating or deleting a device bumps its transaction id.
// - data blocks are allocated round-robin from after the last one allocated.
//
// The model lives in $SNAPDELTA_FAKE_LVM/thin-sim/<VG-POOL>.json; the LV rows in
// lvm.json. Limitation: while a metadata snapshot is held, a change of mappings
// (lvcreate, lvremove, a write that allocates, a discard that unmaps) is refused,
// since regenerating the image with thin_restore would drop the held root (the
// kernel allows them). Writes that need no new block are allowed.
'use strict'
const crypto = require('crypto')
const fs = require('fs')
const path = require('path')
const { restoreMetadata, reserveMetadataSnapshot, metadataUsage } = require('./thin-metadata')

const MODES = ['rw', 'ro', 'out_of_data_space', 'Fail', 'Error']
// Pool modes in which dm-thin refuses messages and metadata changes.
const FROZEN = ['ro', 'Fail', 'Error']

module.exports = function thinSim({ root, devPath, dmName, die, pseudoRandomBytes }) {
  const modelPath = (vg, pool) => path.join(root, 'thin-sim', `${dmName(vg, pool)}.json`)
  const tmetaPath = (vg, pool) => devPath(vg, `${pool}_tmeta`)
  const loadModel = (vg, pool) => JSON.parse(fs.readFileSync(modelPath(vg, pool), 'utf8'))
  const saveModel = (vg, pool, model) => {
    fs.writeFileSync(modelPath(vg, pool) + '.tmp', JSON.stringify(model))
    fs.renameSync(modelPath(vg, pool) + '.tmp', modelPath(vg, pool))
  }
  // The metadata image follows the model: regenerated first, so a thin_restore failure changes nothing.
  const commit = (vg, pool, model) => {
    try {
      restoreMetadata(model, tmetaPath(vg, pool), model.metadataBytes)
    } catch (err) {
      die(5, err.message)
    }
    saveModel(vg, pool, model)
  }

  const poolRow = (db, vg, name) => db.lvs.find((v) => v.vg === vg && v.name === name && v.simThinPool)
  const isSimThin = (db, v) => Boolean(v && v.thinId !== undefined && poolRow(db, v.vg, v.poolLv))
  const isSimPool = (v) => Boolean(v && v.simThinPool)

  function mayChangeMappings(vg, pool, model) {
    if (model.heldRoot !== null) {
      die(5, `Thin pool ${vg}/${pool} has a metadata snapshot held (block ${model.heldRoot}): the simulated pool cannot change its mappings while one is held (thin_restore would drop it); release it first`)
    }
    if (FROZEN.includes(model.status.mode)) die(5, `Thin pool ${vg}/${pool} is in ${model.status.mode} mode (set-pool-status): its mappings cannot change`)
  }

  // How many mappings refer to each data block.
  function referenceCounts(model) {
    const counts = new Uint32Array(model.dataBlocks)
    for (const dev of Object.values(model.devices)) for (const b of dev.map) if (b >= 0) counts[b]++
    return counts
  }
  // The next free data block from the cursor on, round-robin like dm-thin's allocator; `counts` is
  // updated. Callers check first that enough blocks are free, so that a failure changes nothing.
  function allocate(model, counts) {
    let b = model.cursor % model.dataBlocks
    while (counts[b] !== 0) b = (b + 1) % model.dataBlocks
    counts[b] = 1
    model.cursor = b + 1
    return b
  }
  const freeBlocks = (counts) => counts.filter((c) => c === 0).length
  const nextThinId = (model) => Math.max(0, ...Object.keys(model.devices).map(Number)) + 1
  const blocksOf = (sizeBytes, model) => Math.ceil(sizeBytes / model.blockBytes)

  // LVM's lv_uuid: 32 letters and digits grouped 6-4-4-4-4-4-6.
  function lvUuid() {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    const chars = Array.from(crypto.randomBytes(32), (b) => alphabet[b % alphabet.length]).join('')
    let at = 0
    return [6, 4, 4, 4, 4, 4, 6].map((n) => chars.slice(at, (at += n))).join('-')
  }
  const now = () => Math.floor(Date.now() / 1000)
  const thinAttr = ({ readOnly, active, skip }) => `V${readOnly ? 'r' : 'w'}i-${active ? 'a' : '-'}-tz-${skip ? 'k' : '-'}`

  function createPool(db, vg, pool, blockBytes, dataBlocks) {
    if (!Number.isInteger(blockBytes) || blockBytes % 65536 !== 0 || blockBytes < 65536 || blockBytes > 2 ** 30) {
      die(3, `Thin pool chunk size ${blockBytes} must be a multiple of 64 KiB between 64 KiB and 1 GiB`)
    }
    if (!Number.isInteger(dataBlocks) || dataBlocks < 1) die(3, `DATA_BLOCKS ${dataBlocks} must be a positive whole number`)
    if (db.lvs.some((v) => v.vg === vg && v.name === pool)) die(5, `Logical Volume "${pool}" already exists in volume group "${vg}"`)
    // LVM's default metadata size is 64 bytes per data block (at least 2 MiB); more room here
    // because thin_restore writes every device's tree in full where the kernel shares subtrees.
    const metadataBytes = Math.max(4 * 2 ** 20, Math.ceil((dataBlocks * 64) / 2 ** 20) * 2 ** 20)
    const model = { blockBytes, dataBlocks, metadataBytes, time: 0, transaction: 0, cursor: 0, heldRoot: null, status: { mode: 'rw', needsCheck: false, data: null, metadata: null }, devices: {} }
    fs.mkdirSync(path.dirname(modelPath(vg, pool)), { recursive: true })
    commit(vg, pool, model)
    const row = { vg, origin: '', time: now(), uuid: lvUuid() }
    db.lvs.push({ ...row, name: pool, attr: 'twi-aotz--', sizeBytes: dataBlocks * blockBytes, chunkSizeBytes: blockBytes, metadataLv: `${pool}_tmeta`, simThinPool: true })
    db.lvs.push({ ...row, name: `${pool}_tmeta`, attr: 'ewi-ao----', sizeBytes: metadataBytes, chunkSizeBytes: 0, uuid: lvUuid(), hidden: true })
  }

  function createThin(db, vg, lv, pool, sizeBytes, seed) {
    if (!poolRow(db, vg, pool)) die(5, `Failed to find simulated thin pool "${vg}/${pool}"`)
    if (db.lvs.some((v) => v.vg === vg && v.name === lv)) die(5, `Logical Volume "${lv}" already exists in volume group "${vg}"`)
    if (!Number.isInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % 512 !== 0) die(3, `SIZE_BYTES ${sizeBytes} must be a positive multiple of 512`)
    const model = loadModel(vg, pool)
    mayChangeMappings(vg, pool, model)
    const blocks = blocksOf(sizeBytes, model)
    const dev = { transaction: model.transaction, creationTime: model.time, snapTime: model.time, map: new Array(blocks).fill(-1), time: new Array(blocks).fill(0) }
    if (seed !== 0) {
      const counts = referenceCounts(model)
      if (freeBlocks(counts) < blocks) die(5, `write error: No space left on device (simulated thin pool ${vg}/${pool} has ${freeBlocks(counts)} free data blocks, ${lv} needs ${blocks})`)
      for (let v = 0; v < blocks; v++) {
        dev.map[v] = allocate(model, counts)
        dev.time[v] = model.time
      }
    }
    const id = nextThinId(model)
    model.devices[id] = dev
    model.transaction++
    commit(vg, pool, model)
    if (seed === 0) {
      fs.writeFileSync(devPath(vg, lv), '')
      fs.truncateSync(devPath(vg, lv), sizeBytes)
    } else fs.writeFileSync(devPath(vg, lv), pseudoRandomBytes(sizeBytes, seed))
    db.lvs.push({ vg, name: lv, origin: '', attr: thinAttr({ active: true }), sizeBytes, time: now(), chunkSizeBytes: 0, uuid: lvUuid(), thinId: id, poolLv: pool })
  }

  /** lvcreate -s of a thin LV without a size. Returns LVM's warnings for stderr. */
  function snapshot(db, origin, name, { readOnly, active, skip }) {
    const { vg } = origin
    const model = loadModel(vg, origin.poolLv)
    mayChangeMappings(vg, origin.poolLv, model)
    const source = model.devices[origin.thinId]
    const id = nextThinId(model)
    // dm-thin's create_snap: the pool's time moves on, and both devices record it.
    model.time++
    source.snapTime = model.time
    model.devices[id] = { transaction: model.transaction, creationTime: model.time, snapTime: model.time, map: [...source.map], time: [...source.time] }
    model.transaction++
    commit(vg, origin.poolLv, model)
    fs.copyFileSync(devPath(vg, origin.name), devPath(vg, name))
    db.lvs.push({ vg, name, origin: origin.name, attr: thinAttr({ readOnly, active, skip }), sizeBytes: origin.sizeBytes, time: now(), chunkSizeBytes: 0, uuid: lvUuid(), thinId: id, poolLv: origin.poolLv })
    return overProvisioningWarnings(db, vg, origin.poolLv)
  }

  // What LVM prints on stderr when the thin LVs of a pool could outgrow it.
  function overProvisioningWarnings(db, vg, pool) {
    const virtual = db.lvs.filter((v) => v.vg === vg && v.poolLv === pool).reduce((n, v) => n + v.sizeBytes, 0)
    if (virtual <= poolRow(db, vg, pool).sizeBytes) return ''
    return [
      `  WARNING: Sum of all thin volume sizes (${displaySize(virtual)}) exceeds the size of thin pool ${vg}/${pool}.`,
      '  WARNING: You have not turned on protection against thin pools running out of space.',
      '  WARNING: Set activation/thin_pool_autoextend_threshold below 100 to trigger automatic extension of thin pools before they get full.',
      '',
    ].join('\n')
  }

  function checkWritable(v, offset, length) {
    if (v.attr[4] !== 'a') die(5, `${v.vg}/${v.name} is not active: nothing can write to it`)
    if (v.attr[1] !== 'w') die(5, `${v.vg}/${v.name} is read-only: write error: Operation not permitted`)
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > v.sizeBytes) {
      die(3, `range ${offset}+${length} is outside ${v.vg}/${v.name} (${v.sizeBytes} bytes)`)
    }
  }

  /** Maps the blocks a write of `length` bytes at `offset` touches; the caller then writes the device file. */
  function mapWrite(v, offset, length) {
    checkWritable(v, offset, length)
    if (length === 0) return
    const model = loadModel(v.vg, v.poolLv)
    const dev = model.devices[v.thinId]
    const touched = []
    for (let b = Math.floor(offset / model.blockBytes); b * model.blockBytes < offset + length; b++) {
      if (dev.map[b] < 0 || dev.time[b] < dev.snapTime) touched.push(b)
    }
    if (touched.length === 0) return
    mayChangeMappings(v.vg, v.poolLv, model)
    const counts = referenceCounts(model)
    if (freeBlocks(counts) < touched.length) {
      die(5, `write error: No space left on device (simulated thin pool ${v.vg}/${v.poolLv} has ${freeBlocks(counts)} free data blocks, the write needs ${touched.length}; nothing was written)`)
    }
    for (const b of touched) {
      if (dev.map[b] >= 0) counts[dev.map[b]]--
      dev.map[b] = allocate(model, counts)
      dev.time[b] = model.time
    }
    commit(v.vg, v.poolLv, model)
  }

  /** Unmaps the blocks inside [offset, offset+length) and zeroes them in the device file. */
  function discard(db, v, offset, length) {
    checkWritable(v, offset, length)
    if (db.lvs.some((s) => s.vg === v.vg && s.origin === v.name && s.thinId === undefined)) return
    const model = loadModel(v.vg, v.poolLv)
    const dev = model.devices[v.thinId]
    const B = model.blockBytes
    const unmapped = []
    for (let b = Math.ceil(offset / B); (b + 1) * B <= Math.min(offset + length, v.sizeBytes); b++) if (dev.map[b] >= 0) unmapped.push(b)
    if (unmapped.length === 0) return
    mayChangeMappings(v.vg, v.poolLv, model)
    for (const b of unmapped) {
      dev.map[b] = -1
      dev.time[b] = 0
    }
    commit(v.vg, v.poolLv, model)
    const fd = fs.openSync(devPath(v.vg, v.name), 'r+')
    try {
      const zeros = Buffer.alloc(B)
      for (const b of unmapped) fs.writeSync(fd, zeros, 0, B, b * B)
    } finally {
      fs.closeSync(fd)
    }
  }

  /** lvremove of a simulated thin LV: its mappings go, data blocks no other device maps are free again. */
  function remove(db, v) {
    if (isSimPool(v)) die(5, `the fake lvremove does not remove simulated thin pools (${v.vg}/${v.name})`)
    const model = loadModel(v.vg, v.poolLv)
    mayChangeMappings(v.vg, v.poolLv, model)
    delete model.devices[v.thinId]
    model.transaction++
    commit(v.vg, v.poolLv, model)
    // Thin snapshots do not depend on their origin: LVM leaves them with no origin.
    for (const s of db.lvs) if (s.vg === v.vg && s.origin === v.name && s.thinId !== undefined) s.origin = ''
  }

  function setStatus(db, vg, pool, [mode, needsCheck, data, metadata]) {
    if (!poolRow(db, vg, pool)) die(5, `Failed to find simulated thin pool "${vg}/${pool}"`)
    if (!MODES.includes(mode)) die(3, `MODE must be one of ${MODES.join(', ')}`)
    if (needsCheck !== 'needs_check' && needsCheck !== '-') die(3, 'NEEDS_CHECK must be needs_check or -')
    for (const count of [data, metadata]) if (count !== undefined && count !== '-' && !/^\d+\/\d+$/.test(count)) die(3, `${count}: expected used/total or -`)
    const model = loadModel(vg, pool)
    const given = (count) => (count === undefined || count === '-' ? null : count)
    model.status = { mode, needsCheck: needsCheck === 'needs_check', data: given(data), metadata: given(metadata) }
    saveModel(vg, pool, model)
  }

  // The kernel's counts: data blocks mapped by any device, and the metadata space map's allocated blocks.
  function usage(vg, pool, model) {
    const meta = metadataUsage(tmetaPath(vg, pool))
    return {
      data: model.status.data ?? `${model.dataBlocks - freeBlocks(referenceCounts(model))}/${model.dataBlocks}`,
      metadata: model.status.metadata ?? `${meta.used}/${meta.total}`,
      metadataTotal: meta.total,
    }
  }
  const percent = (count) => {
    const [used, total] = count.split('/').map(Number)
    return ((100 * used) / total).toFixed(2)
  }

  /** lvs fields that depend on the model: lv_attr's health character, data_percent, metadata_percent. */
  function lvsValues(db, v) {
    const pool = isSimPool(v) ? v : poolRow(db, v.vg, v.poolLv)
    const model = loadModel(v.vg, pool.name)
    const withHealth = (c) => v.attr.slice(0, 8) + c + v.attr.slice(9)
    if (isSimPool(v)) {
      const u = usage(v.vg, v.name, model)
      const health = { rw: '-', ro: 'M', out_of_data_space: 'D', Fail: 'F', Error: 'X' }[model.status.mode]
      return { lv_attr: withHealth(health), data_percent: percent(u.data), metadata_percent: percent(u.metadata) }
    }
    const dev = model.devices[v.thinId]
    // LVM reports a thin LV's fill only while it is active.
    const data = v.attr[4] === 'a' ? percent(`${dev.map.filter((b) => b >= 0).length}/${dev.map.length}`) : ''
    return { lv_attr: withHealth(model.status.mode === 'Fail' ? 'F' : v.attr[8]), data_percent: data, metadata_percent: '' }
  }

  /** `dmsetup status` of an active simulated thin LV: mapped sectors and the highest mapped sector. */
  function thinStatus(v) {
    const model = loadModel(v.vg, v.poolLv)
    const sectors = Math.ceil(v.sizeBytes / 512)
    if (model.status.mode === 'Fail') return `0 ${sectors} thin Fail\n`
    const dev = model.devices[v.thinId]
    const blockSectors = model.blockBytes / 512
    const mapped = dev.map.filter((b) => b >= 0).length
    const highest = dev.map.reduce((h, b, i) => (b >= 0 ? i : h), -1)
    return `0 ${sectors} thin ${mapped * blockSectors} ${highest < 0 ? '-' : (highest + 1) * blockSectors - 1}\n`
  }

  /** `dmsetup status|message -- VG-POOL-tpool ...` on a simulated pool, answering as the kernel does. */
  function poolDmsetup(pool, args) {
    const { vg, name } = pool
    const model = loadModel(vg, name)
    const target = `${dmName(vg, name)}-tpool`
    if (args[0] === 'status') {
      const sectors = (model.dataBlocks * model.blockBytes) / 512
      if (model.status.mode === 'Fail' || model.status.mode === 'Error') return void process.stdout.write(`0 ${sectors} thin-pool ${model.status.mode}\n`)
      const u = usage(vg, name, model)
      const held = model.heldRoot === null ? '-' : String(model.heldRoot)
      // The last field is the metadata low water mark: a quarter of the metadata device, at most 4 MiB of blocks.
      const lowWater = Math.min(1024, Math.floor(u.metadataTotal / 4))
      const line = `0 ${sectors} thin-pool ${model.transaction} ${u.metadata} ${u.data} ${held} ${model.status.mode} discard_passdown queue_if_no_space ${model.status.needsCheck ? 'needs_check' : '-'} ${lowWater} \n`
      return void process.stdout.write(line)
    }
    const failed = (reason) => die(1, `device-mapper: message ioctl on ${target}  failed: ${reason}\nCommand failed.`)
    if (args[0] !== 'message' || args[2] !== '0') die(1, `the fake dmsetup does not do ${args.join(' ')}`)
    // dm-thin answers no message in read-only or failed mode.
    if (FROZEN.includes(model.status.mode)) failed('Operation not supported')
    if (args[3] === 'reserve_metadata_snap') {
      if (model.heldRoot !== null) failed('Device or resource busy')
      try {
        model.heldRoot = reserveMetadataSnapshot(tmetaPath(vg, name))
      } catch (err) {
        die(1, `${err.message}\nCommand failed.`)
      }
    } else if (args[3] === 'release_metadata_snap') {
      if (model.heldRoot === null) failed('Invalid argument')
      // The mappings have not changed while it was held: a fresh image is the released one.
      model.heldRoot = null
      commit(vg, name, model)
      return
    } else failed('Invalid argument')
    saveModel(vg, name, model)
  }

  return { isSimThin, isSimPool, createPool, createThin, snapshot, mapWrite, discard, remove, setStatus, lvsValues, thinStatus, poolDmsetup }
}

// LVM's display of sizes: two decimals in the largest binary unit that keeps the number at least 1.
function displaySize(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let i = 0
  while (i < units.length - 1 && bytes >= 1024 ** (i + 1)) i++
  return `${(bytes / 1024 ** i).toFixed(2)} ${units[i]}`
}
