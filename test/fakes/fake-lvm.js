#!/usr/bin/env node
// Fake LVM2 and dmsetup for the fast test suite: lvs, lvcreate, lvremove,
// lvrename, lvchange and dmsetup (symlinks in bin/, put first on PATH) act on
// image files under $SNAPDELTA_FAKE_LVM instead of device-mapper. A snapshot is a
// copy of its origin's image plus a COW image written with the project's own
// writer (dist/cow/cow-writer.js); `fake-lvm.js write` changes the origin and,
// like the kernel, first saves each chunk's old content into the COW of every
// valid snapshot, so deltas are real. Every call is logged to calls.log.
//
// Test-side commands (node fake-lvm.js CMD ...):
//   create-origin VG LV SIZE_BYTES SEED    a new origin volume with pseudo-random content
//   write VG LV OFFSET LENGTH SEED         writes pseudo-random bytes to the origin (SEED 0: zeros)
//   invalidate VG LV                       marks a snapshot invalid, as an overflow does
//   set-attr VG LV ATTR                    overwrites lv_attr (inactive, merging, ...)
//   create-thin-pool VG POOL TMETA BLOCK_BYTES [ROOT]
//                                          a thin pool whose metadata device is the image TMETA
//                                          (linked, not copied: the real thin_delta reads it);
//                                          ROOT is the block `dmsetup status` shows while held
//   create-thin VG LV POOL THIN_ID IMAGE [ORIGIN [ATTR]]
//                                          a thin LV (snapshot of ORIGIN) showing IMAGE (linked);
//                                          ATTR defaults to an inactive, activation-skipped snapshot
// Thin pools answer `dmsetup status VG-POOL-tpool` and `dmsetup message VG-POOL-tpool 0
// reserve_metadata_snap|release_metadata_snap` (held state in lvm.json, EBUSY/EINVAL like the
// kernel); lvchange handles --permission r|rw and --activate y|n [--ignoreactivationskip].
//
// Simulated thin pools (thin-sim.js, thin-metadata.js): dm-thin's mappings are modelled and
// the pool's metadata image is rewritten by the real thin_restore after every change, so the
// real thin_delta/thin_dump/thin_check read it; $SNAPDELTA_FAKE_LVM must be on a real disk
// (the thin tools use O_DIRECT) and thin-provisioning-tools installed.
//   create-sim-thin-pool VG POOL BLOCK_BYTES [DATA_BLOCKS]
//                                          pool POOL (lv_attr twi-aotz--, chunk_size BLOCK_BYTES,
//                                          DATA_BLOCKS data blocks, default 16384) and its hidden
//                                          POOL_tmeta, whose device file is the metadata image
//   create-sim-thin VG LV POOL SIZE_BYTES SEED
//                                          an active thin LV (next thin id), every block mapped and
//                                          pseudo-random (SEED 0: nothing mapped, reads zeros)
//   write VG LV OFFSET LENGTH SEED         on a simulated thin LV (active and writable): each touched
//                                          block that is unmapped or shared with a snapshot gets a new
//                                          data block (SEED 0 writes zeros and still maps them)
//   discard VG LV OFFSET LENGTH            unmaps the blocks the range covers whole (they read zeros);
//                                          partial blocks keep their data
//   set-pool-status VG POOL MODE NEEDS_CHECK [DATA [METADATA]]
//                                          what dmsetup status and lvs report: MODE rw|ro|
//                                          out_of_data_space|Fail|Error, NEEDS_CHECK needs_check|-,
//                                          DATA and METADATA used/total blocks or - for the model's
//                                          counts; in ro, Fail and Error the pool refuses messages
//                                          and mapping changes
// On them: lvcreate --yes --snapshot [--setactivationskip y|n | -ky|-kn] [--permission r|rw |
// -pr|-prw] [--ignoreactivationskip | -K] --name NAME -- VG/THINLV without a size makes a thin
// snapshot (inactive, activation skip, Vwi---tz-k, unless -kn or -K; over-provisioning warnings
// on stderr like LVM); with -L/-l it makes a classic snapshot as above. lvremove drops a thin
// LV's mappings (its thin snapshots keep theirs and lose their origin). lvs adds data_percent
// and metadata_percent, dmsetup status the kernel's thin and thin-pool lines, and the pool's
// messages write a real metadata snapshot into the image (thin_delta -m reads it). While one is
// held, changes of mappings (lvcreate, lvremove, allocating writes, unmapping discards) are
// refused: thin_restore would drop the held root (the kernel allows them).
'use strict'
const fs = require('fs')
const path = require('path')
const dist = path.join(__dirname, '..', '..', 'dist')
const { writeCowImage, kernelNewChunk, minimumCowSizeBytes } = require(path.join(dist, 'cow', 'cow-writer.js'))
const { readExceptionTableFromPath } = require(path.join(dist, 'cow', 'exception-table.js'))
const { pseudoRandomBytes } = require(path.join(dist, 'cow', 'scenario.js'))
const thinSim = require('./thin-sim')

const root = process.env.SNAPDELTA_FAKE_LVM
if (!root) die(5, 'SNAPDELTA_FAKE_LVM is not set')
const dbPath = path.join(root, 'lvm.json')
// Smaller than LVM's default 4 MiB so tests can overflow a snapshot with little data.
const EXTENT_BYTES = 64 * 1024

function die(code, message) {
  process.stderr.write(`  ${message}\n`)
  process.exit(code)
}
function load() {
  return fs.existsSync(dbPath) ? JSON.parse(fs.readFileSync(dbPath, 'utf8')) : { lvs: [] }
}
function save(db) {
  fs.writeFileSync(dbPath + '.tmp', JSON.stringify(db, null, 1))
  fs.renameSync(dbPath + '.tmp', dbPath)
}
const dmName = (vg, lv) => `${vg.replace(/-/g, '--')}-${lv.replace(/-/g, '--')}`
const devPath = (vg, lv) => path.join(root, 'mapper', dmName(vg, lv))
const sim = thinSim({ root, devPath, dmName, die, pseudoRandomBytes })
function find(db, vg, name) {
  return db.lvs.find((v) => v.vg === vg && v.name === name)
}
function splitRef(ref) {
  const [vg, lv] = ref.split('/')
  return { vg, lv }
}
function option(args, long, short) {
  for (let i = 0; i < args.length; i++) if (args[i] === long || (short && args[i] === short)) return args[i + 1]
  return undefined
}
function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)([bskmgt]?)$/i.exec(text)
  if (!m) die(3, `Invalid size ${text}`)
  const unit = { '': 2 ** 20, b: 1, s: 512, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase()]
  return Math.round(Number(m[1]) * unit)
}

const tool = path.basename(process.argv[1])
// `--` ends the options, as in LVM's and dmsetup's own parsing; calls.log keeps the argv as given.
const rawArgs = process.argv.slice(2)
const args = rawArgs.filter((a) => a !== '--')
const isTestCommand = tool === 'fake-lvm.js'
if (!isTestCommand) fs.appendFileSync(path.join(root, 'calls.log'), JSON.stringify([tool, ...rawArgs]) + '\n')
fs.mkdirSync(path.join(root, 'mapper'), { recursive: true })

const commands = {
  lvs() {
    const db = load()
    const fields = option(args, '-o').split(',')
    // "VG" lists its visible LVs (-a: hidden ones too), "VG/LV" one LV.
    const [vg, only] = args[args.length - 1].split('/')
    if (!db.lvs.some((v) => v.vg === vg)) die(5, `Volume group "${vg}" not found`)
    if (only && !find(db, vg, only)) die(5, `Failed to find logical volume "${vg}/${only}"`)
    const all = args.includes('-a') || args.includes('--all')
    const epoch = args.some((a) => a.includes('time_format="%s"'))
    const listed = db.lvs.filter((v) => v.vg === vg && (only ? v.name === only : all || !v.hidden))
    const rows = listed.map((v) => {
      const cow = v.origin && v.thinId === undefined ? snapshotUsage(v) : null
      const values = {
        lv_name: v.hidden ? `[${v.name}]` : v.name,
        vg_name: v.vg,
        lv_attr: v.attr,
        origin: v.origin || '',
        lv_size: String(v.sizeBytes),
        lv_time: epoch ? String(v.time) : new Date(v.time * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000'),
        chunk_size: String(v.chunkSizeBytes || 0),
        snap_percent: cow ? cow.percent.toFixed(2) : '',
        lv_uuid: v.uuid,
        lv_dm_path: devPath(v.vg, v.name),
        lv_path: `/dev/${v.vg}/${v.name}`,
        thin_id: v.thinId === undefined ? '' : String(v.thinId),
        pool_lv: v.poolLv || '',
        metadata_lv: v.metadataLv ? `[${v.metadataLv}]` : '',
        data_percent: '',
        metadata_percent: '',
        ...(sim.isSimThin(db, v) || sim.isSimPool(v) ? sim.lvsValues(db, v) : {}),
      }
      return Object.fromEntries(fields.map((f) => [f, values[f]]))
    })
    process.stdout.write(JSON.stringify({ report: [{ lv: rows }] }, null, 2) + '\n')
  },
  async lvcreate() {
    const db = load()
    if (!args.includes('--snapshot') && !args.includes('-s')) die(3, 'the fake lvcreate only makes snapshots')
    const name = option(args, '--name', '-n')
    const { vg, lv } = splitRef(args[args.length - 1])
    const origin = find(db, vg, lv)
    if (!origin) die(5, `Failed to find logical volume "${vg}/${lv}"`)
    if (find(db, vg, name)) die(5, `Logical Volume "${name}" already exists in volume group "${vg}"`)
    const extents = option(args, '--extents', '-l')
    if (!extents && !option(args, '--size', '-L')) {
      if (!sim.isSimThin(db, origin)) die(3, 'Please specify either size or extents with snapshots.')
      const skip = attachedOption(args, '--setactivationskip', '-k') !== 'n'
      const warnings = sim.snapshot(db, origin, name, {
        readOnly: attachedOption(args, '--permission', '-p') === 'r',
        skip,
        active: !skip || args.includes('--ignoreactivationskip') || args.includes('-K'),
      })
      save(db)
      process.stderr.write(warnings)
      return void process.stdout.write(`  Logical volume "${name}" created.\n`)
    }
    let cowBytes = extents ? Math.floor((origin.sizeBytes * Number(/^(\d+)%ORIGIN$/i.exec(extents)[1])) / 100) : parseSize(option(args, '--size', '-L'))
    cowBytes = Math.max(EXTENT_BYTES, Math.ceil(cowBytes / EXTENT_BYTES) * EXTENT_BYTES)
    const chunkBytes = parseSize((option(args, '--chunksize', '-c') || '4k').replace(/^(\d+)$/, '$1k'))
    fs.copyFileSync(devPath(vg, lv), devPath(vg, name))
    await writeCowImage(devPath(vg, name) + '-cow', { chunkSizeSectors: chunkBytes / 512, oldChunks: [], cowSizeBytes: cowBytes })
    origin.attr = 'o' + origin.attr.slice(1)
    db.lvs.push({ vg, name, origin: lv, attr: 'swi-a-s---', sizeBytes: cowBytes, time: Math.floor(Date.now() / 1000), chunkSizeBytes: chunkBytes, uuid: `fake-${Date.now()}-${name}` })
    save(db)
    process.stdout.write(`  Logical volume "${name}" created.\n`)
  },
  lvremove() {
    const db = load()
    const { vg, lv } = splitRef(args[args.length - 1])
    const v = find(db, vg, lv)
    if (!v) die(5, `Failed to find logical volume "${vg}/${lv}"`)
    // Classic snapshots depend on their origin; thin snapshots do not.
    if (!v.origin && db.lvs.some((s) => s.vg === vg && s.origin === lv && !sim.isSimThin(db, s))) die(5, `Logical volume ${vg}/${lv} has snapshots`)
    if (sim.isSimThin(db, v) || sim.isSimPool(v)) sim.remove(db, v)
    fs.rmSync(devPath(vg, lv), { force: true })
    fs.rmSync(devPath(vg, lv) + '-cow', { force: true })
    db.lvs = db.lvs.filter((x) => x !== v)
    save(db)
    process.stdout.write(`  Logical volume "${lv}" successfully removed.\n`)
  },
  lvrename() {
    const db = load()
    const [vg, from, to] = args.filter((a) => !a.startsWith('-'))
    const v = find(db, vg, from)
    if (!v) die(5, `Existing logical volume "${from}" not found in volume group "${vg}"`)
    for (const suffix of ['', '-cow']) if (fs.existsSync(devPath(vg, from) + suffix)) fs.renameSync(devPath(vg, from) + suffix, devPath(vg, to) + suffix)
    for (const s of db.lvs) if (s.vg === vg && s.origin === from) s.origin = to
    v.name = to
    save(db)
  },
  dmsetup() {
    const pool = thinPoolTarget(load(), args[1])
    if (pool && sim.isSimPool(pool)) return void sim.poolDmsetup(pool, args)
    if (pool) return void thinPoolDmsetup(pool)
    if (args[0] !== 'status') die(1, 'the fake dmsetup only answers status, and messages to thin pools')
    const db = load()
    const v = db.lvs.find((x) => dmName(x.vg, x.name) === args[1])
    if (!v || v.attr[4] !== 'a' && v.attr[4] !== 'I') die(1, `Device ${args[1]} not found\nCommand failed.`)
    const sectors = Math.ceil(fs.statSync(devPath(v.vg, v.name)).size / 512)
    if (sim.isSimThin(db, v)) return void process.stdout.write(sim.thinStatus(v))
    if (v.thinId !== undefined) return void process.stdout.write(`0 ${sectors} thin 0 -\n`)
    if (!v.origin) return void process.stdout.write(`0 ${sectors} snapshot-origin \n`)
    if (v.attr[0] === 'S') return void process.stdout.write(`0 ${sectors} snapshot-merge 16/8192 16\n`)
    if (v.attr[4] === 'I') return void process.stdout.write(`0 ${sectors} snapshot Invalid\n`)
    const u = snapshotUsage(v)
    process.stdout.write(`0 ${sectors} snapshot ${u.allocatedSectors}/${v.sizeBytes / 512} ${u.metadataSectors}\n`)
  },
  async 'create-origin'() {
    const db = load()
    const [vg, lv, size, seed] = args
    fs.writeFileSync(devPath(vg, lv), pseudoRandomBytes(Number(size), Number(seed)))
    db.lvs.push({ vg, name: lv, origin: '', attr: '-wi-a-----', sizeBytes: Number(size), time: Math.floor(Date.now() / 1000), chunkSizeBytes: 0, uuid: `fake-origin-${lv}` })
    save(db)
  },
  async write() {
    const db = load()
    const [vg, lv, offsetText, lengthText, seed] = args
    const offset = Number(offsetText)
    const data = Number(seed) === 0 ? Buffer.alloc(Number(lengthText)) : pseudoRandomBytes(Number(lengthText), Number(seed))
    const v = find(db, vg, lv)
    if (sim.isSimThin(db, v)) sim.mapWrite(v, offset, data.length)
    const originPath = devPath(vg, lv)
    const fd = fs.openSync(originPath, 'r+')
    try {
      for (const snap of db.lvs.filter((s) => s.vg === vg && s.origin === lv && s.attr[4] === 'a' && s.thinId === undefined)) await copyOut(snap, fd, offset, data.length)
      fs.writeSync(fd, data, 0, data.length, offset)
    } finally {
      fs.closeSync(fd)
    }
    save(db)
  },
  invalidate() {
    const db = load()
    const v = find(db, args[0], args[1])
    v.attr = v.attr.slice(0, 4) + 'I' + v.attr.slice(5)
    const cow = devPath(v.vg, v.name) + '-cow'
    const header = fs.readFileSync(cow).subarray(0, 16)
    header.writeUInt32LE(0, 4)
    const fd = fs.openSync(cow, 'r+')
    fs.writeSync(fd, header, 0, 16, 0)
    fs.closeSync(fd)
    save(db)
  },
  lvchange() {
    const db = load()
    const { vg, lv } = splitRef(args[args.length - 1])
    const v = find(db, vg, lv)
    if (!v) die(5, `Failed to find logical volume "${vg}/${lv}"`)
    const setAttr = (i, c) => (v.attr = v.attr.slice(0, i) + c + v.attr.slice(i + 1))
    const permission = option(args, '--permission') ?? (args.includes('-pr') ? 'r' : args.includes('-prw') ? 'rw' : undefined)
    if (permission) setAttr(1, permission === 'r' ? 'r' : 'w')
    const activate = option(args, '--activate') ?? (args.includes('-ay') ? 'y' : args.includes('-an') ? 'n' : undefined)
    const ignoreSkip = args.includes('--ignoreactivationskip') || args.includes('-K')
    // Like LVM: activating a volume flagged to skip activation, without -K, succeeds and does nothing.
    if (activate === 'y' && (v.attr[9] !== 'k' || ignoreSkip)) setAttr(4, 'a')
    if (activate === 'n') setAttr(4, '-')
    save(db)
  },
  'create-thin-pool'() {
    const db = load()
    const [vg, pool, tmeta, blockBytes, root] = args
    fs.symlinkSync(path.resolve(tmeta), devPath(vg, `${pool}_tmeta`))
    db.lvs.push({ vg, name: pool, origin: '', attr: 'twi-aotz--', sizeBytes: 64 * 2 ** 20, time: Math.floor(Date.now() / 1000), chunkSizeBytes: Number(blockBytes), uuid: `fake-pool-${pool}`, metadataLv: `${pool}_tmeta`, heldRoot: null, rootWhenHeld: Number(root || 266) })
    db.lvs.push({ vg, name: `${pool}_tmeta`, origin: '', attr: 'ewi-ao----', sizeBytes: fs.statSync(tmeta).size, time: Math.floor(Date.now() / 1000), chunkSizeBytes: 0, uuid: `fake-tmeta-${pool}`, hidden: true })
    save(db)
  },
  'create-thin'() {
    const db = load()
    const [vg, lv, pool, thinId, image, origin, attr] = args
    fs.symlinkSync(path.resolve(image), devPath(vg, lv))
    db.lvs.push({ vg, name: lv, origin: origin || '', attr: attr || 'Vwi---tz-k', sizeBytes: fs.statSync(image).size, time: Math.floor(Date.now() / 1000), chunkSizeBytes: 0, uuid: `fake-thin-${lv}`, thinId: Number(thinId), poolLv: pool })
    save(db)
  },
  'set-attr'() {
    const db = load()
    find(db, args[0], args[1]).attr = args[2]
    save(db)
  },
  'create-sim-thin-pool'() {
    const db = load()
    const [vg, pool, blockBytes, dataBlocks] = args
    sim.createPool(db, vg, pool, Number(blockBytes), Number(dataBlocks || 16384))
    save(db)
  },
  'create-sim-thin'() {
    const db = load()
    const [vg, lv, pool, size, seed] = args
    sim.createThin(db, vg, lv, pool, Number(size), Number(seed))
    save(db)
  },
  discard() {
    const db = load()
    const [vg, lv, offset, length] = args
    const v = find(db, vg, lv)
    if (!sim.isSimThin(db, v)) die(3, `discard: ${vg}/${lv} is not a thin LV of a simulated pool`)
    sim.discard(db, v, Number(offset), Number(length))
  },
  'set-pool-status'() {
    const [vg, pool, ...status] = args
    sim.setStatus(load(), vg, pool, status)
  },
}

// An option's value in LVM's spellings `--long v`, `--long=v`, `-s v` and `-sv` (as in -kn, -pr).
function attachedOption(args, long, short) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === long || args[i] === short) return args[i + 1]
    if (args[i].startsWith(`${long}=`)) return args[i].slice(long.length + 1)
    if (args[i].startsWith(short) && !args[i].startsWith('--')) return args[i].slice(short.length)
  }
  return undefined
}

// The thin pool whose -tpool device-mapper name is `name`, if any.
function thinPoolTarget(db, name) {
  return db.lvs.find((v) => v.metadataLv && `${dmName(v.vg, v.name)}-tpool` === name)
}

// dmsetup status and message on a thin-pool target, with the kernel's answers (../shared/docs/lvm-thin.md).
function thinPoolDmsetup(pool) {
  const db = load()
  const v = find(db, pool.vg, pool.name)
  const target = `${dmName(v.vg, v.name)}-tpool`
  if (args[0] === 'status') {
    const held = v.heldRoot === null ? '-' : String(v.heldRoot)
    return void process.stdout.write(`0 131072 thin-pool 4 123/1024 385/1024 ${held} rw discard_passdown queue_if_no_space - 256 \n`)
  }
  if (args[0] !== 'message' || args[2] !== '0') die(1, `the fake dmsetup does not do ${args.join(' ')}`)
  if (args[3] === 'reserve_metadata_snap') {
    if (v.heldRoot !== null) die(1, `device-mapper: message ioctl on ${target}  failed: Device or resource busy\nCommand failed.`)
    v.heldRoot = v.rootWhenHeld
  } else if (args[3] === 'release_metadata_snap') {
    if (v.heldRoot === null) die(1, `device-mapper: message ioctl on ${target}  failed: Invalid argument\nCommand failed.`)
    v.heldRoot = null
  } else die(1, `device-mapper: message ioctl on ${target}  failed: Invalid argument\nCommand failed.`)
  save(db)
}

// Fills the COW of `snap` like the kernel: the old content of every chunk the write touches, once.
async function copyOut(snap, originFd, offset, length) {
  const cowPath = devPath(snap.vg, snap.name) + '-cow'
  const chunkBytes = snap.chunkSizeBytes
  const perArea = chunkBytes / 16
  const table = await readExceptionTableFromPath(cowPath)
  const old = Array.from(table.oldChunks.subarray(0, table.exceptions))
  const seen = new Set(old)
  const added = []
  for (let c = Math.floor(offset / chunkBytes); c * chunkBytes < offset + length; c++) if (!seen.has(c)) added.push(c)
  if (added.length === 0) return
  const cow = fs.openSync(cowPath, 'r')
  const saved = new Map()
  old.forEach((chunk, i) => {
    const b = Buffer.alloc(chunkBytes)
    fs.readSync(cow, b, 0, chunkBytes, kernelNewChunk(i, perArea) * chunkBytes)
    saved.set(i, b)
  })
  fs.closeSync(cow)
  const all = [...old, ...added]
  if (minimumCowSizeBytes(chunkBytes / 512, all.length) > snap.sizeBytes) {
    // Overflow: the kernel invalidates the snapshot and stops copying out.
    snap.attr = snap.attr.slice(0, 4) + 'I' + snap.attr.slice(5)
    await writeCowImage(cowPath, { chunkSizeSectors: chunkBytes / 512, oldChunks: old, savedData: (_c, i) => saved.get(i), valid: false, cowSizeBytes: snap.sizeBytes })
    return
  }
  await writeCowImage(cowPath, {
    chunkSizeSectors: chunkBytes / 512,
    oldChunks: all,
    savedData: (chunk, i) => {
      if (i < old.length) return saved.get(i)
      const b = Buffer.alloc(chunkBytes)
      fs.readSync(originFd, b, 0, chunkBytes, chunk * chunkBytes)
      return b
    },
    cowSizeBytes: snap.sizeBytes,
  })
}

// What dmsetup status and snap_percent report: next free chunk and metadata chunks, in sectors.
function snapshotUsage(snap) {
  if (snap.attr[4] === 'I') return { percent: 100 }
  const chunkSectors = snap.chunkSizeBytes / 512
  const perArea = snap.chunkSizeBytes / 16
  const buf = fs.readFileSync(devPath(snap.vg, snap.name) + '-cow')
  let exceptions = 0
  for (let area = 0; ; area++) {
    const at = (1 + area * (perArea + 1)) * snap.chunkSizeBytes
    let n = 0
    while (n < perArea && at + n * 16 + 16 <= buf.length && buf.readBigUInt64LE(at + n * 16 + 8) !== 0n) n++
    exceptions += n
    if (n < perArea) break
  }
  const allocatedSectors = kernelNewChunk(exceptions, perArea) * chunkSectors
  const metadataSectors = (Math.floor(exceptions / perArea) + 2) * chunkSectors
  return { percent: (100 * allocatedSectors) / (snap.sizeBytes / 512), allocatedSectors, metadataSectors }
}

const command = isTestCommand ? args.shift() : tool
if (!commands[command]) die(3, `fake-lvm: unknown command ${command}`)
Promise.resolve(commands[command]()).catch((err) => die(5, err.stack || String(err)))
